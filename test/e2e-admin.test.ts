/**
 * The admin plane on its own listener: roles come from admin certificates issued by the
 * gateway's CA; health, readiness, metrics and the OpenAPI document are there for operators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness } from './helpers/gateway.js';
import { searchAudit } from '../gateway/audit/search.js';

let h: Harness;

function anonymous(path: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    https.get(`${h.adminUrl}${path}`, { ca: h.ca }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(cleanup);

describe('admin plane', () => {
  it('answers health, readiness, metrics and the OpenAPI document without a client certificate', async () => {
    expect((await anonymous('/healthz')).status).toBe(200);
    const ready = await anonymous('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text).checks).toMatchObject({ store: { ok: true }, redis: { ok: true }, certificates: { ok: true } });
    expect((await anonymous('/metrics')).text).toContain('ndxp_requests_total');
    const doc = JSON.parse((await anonymous('/openapi.json')).text);
    for (const path of ['/api/v1/admin/keys', '/api/v1/admin/certs', '/api/v1/admin/lockouts']) expect(Object.keys(doc.paths)).toContain(path);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/admin/queue'))).toBe(true);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/admin/audit'))).toBe(true);
  });

  it('refuses the API without an admin certificate, and a legacy client certificate is not one', async () => {
    expect((await anonymous('/api/v1/admin/keys')).status).toBe(401);
    const legacy = await h.legacyClient({ vendor: 'json', softwareId: 'NOT-ADMIN' });
    expect((await legacy.request(`${h.adminUrl}/api/v1/admin/keys`)).status).toBe(401);
  });

  it('network-admin manages keys; auditor reads but cannot change; every action is audited with who did it', async () => {
    const admin = await h.adminClient('network-admin');
    const auditor = await h.adminClient('auditor');
    const created = await admin.request(`${h.adminUrl}/api/v1/admin/keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ softwareId: 'PM-ADMIN-API', unitCode: '000.00.00.H06', vendor: 'vendor-a-asmx' }),
    });
    expect(created.status).toBe(201);
    const key = created.json();
    expect(key.connectionKey).toMatch(/^KN[A-Z0-9]+\./);
    expect(created.headers['cache-control']).toContain('no-store');
    expect((await auditor.request(`${h.adminUrl}/api/v1/admin/keys/${key.keyId}`)).status).toBe(200);
    const refused = await auditor.request(`${h.adminUrl}/api/v1/admin/keys/${key.keyId}/suspend`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(403);
    expect((await admin.request(`${h.adminUrl}/api/v1/admin/keys/${key.keyId}/suspend`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(200);
    await h.ctx.audit.flush();
    const trail = await searchAudit(h.ctx.store, h.ctx.config, { kind: 'admin', operation: 'keys.suspend' });
    expect(trail.items[0]).toMatchObject({ target: key.keyId, outcome: 'ok' });
    expect(trail.items[0].actor).toContain('network-admin');
    expect(JSON.stringify(trail.items)).not.toContain(key.secret);
  });
});
