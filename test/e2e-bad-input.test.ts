/**
 * Bad input is the caller's fault and is answered as such, never with 500 LOI_HE_THONG: over the
 * real mTLS data plane (and the admin plane), deeply nested JSON, malformed percent-encoding in a
 * path or in HTTP Basic credentials each get a 4xx in the caller's own terms.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';

let h: Harness;
let j: LegacyClient;

beforeAll(async () => {
  h = await startHarness();
  j = await h.legacyClient({ vendor: 'json', softwareId: 'JSON-BAD-INPUT', unitCode: '000.00.00.H06' });
}, 120_000);

afterAll(cleanup);

function nested(depth: number): string {
  return `{"soDinhDanh":"001090001234","hoVaTen":"Nguyễn Văn A","ghiChu":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
}

describe('the JSON front', () => {
  it('answers a record with a field nested 5,000 objects deep with a 400 problem document', async () => {
    for (const [path, body] of [
      ['/api/v1/profiles', nested(5000)],
      ['/api/v1/profiles:batch', `{"hoSo":[${nested(5000)}]}`],
    ]) {
      const res = await j.request(`${h.url}${path}`, { headers: { 'content-type': 'application/json', 'x-connection-key': j.connectionKey }, body });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 400, code: 'JSON_KHONG_HOP_LE' });
    }
  });

  it('still accepts ordinary nesting', async () => {
    const res = await j.request(`${h.url}/api/v1/profiles`, { headers: { 'content-type': 'application/json', 'x-connection-key': j.connectionKey }, body: nested(10) });
    expect(res.status).not.toBe(500);
    expect(res.json().code).not.toBe('JSON_KHONG_HOP_LE');
  });
});

describe('percent-encoding', () => {
  it('a tracking id with malformed percent-encoding is a 400 problem, not 500', async () => {
    const res = await j.request(`${h.url}/api/v1/tracking/%E0%A4%A`, { headers: { 'x-connection-key': j.connectionKey } });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'MA_THEO_DOI_KHONG_HOP_LE' });
  });

  it('/token with malformed percent-encoding in HTTP Basic credentials is an OAuth invalid_request', async () => {
    const basic = Buffer.from(`${j.keyId}:%E0%A4%A`).toString('base64');
    const res = await j.request(`${h.url}/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toContain('no-store');
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('the admin plane answers a malformed path parameter with a 400 problem', async () => {
    const admin = await h.adminClient('network-admin');
    const res = await admin.request(`${h.adminUrl}/api/v1/admin/keys/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ status: 400, code: 'YEU_CAU_HTTP_KHONG_HOP_LE' });
  });
});
