/**
 * A caller cannot bloat the append-only audit trail (or get huge answers) with made-up
 * identifiers: over the real mTLS data plane, status queries carrying 1,000 invented 8 kB
 * tracking ids each write a few kB to the trail and get a bounded answer, the number of ids per
 * status call is capped in the caller's protocol, and legitimate status queries still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { cleanup } from './helpers/env.js';
import { sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';

let h: Harness;
let b: LegacyClient;
let a: LegacyClient;
let j: LegacyClient;

const SOAP12 = (op: string) => ({ 'content-type': `application/soap+xml; charset=UTF-8; action="urn:${op}"` });
const SOAP11 = (op: string) => ({ 'content-type': 'text/xml; charset=utf-8', soapaction: `"http://qlcb.vendor-a.vn/${op}"` });

function vendorB(body: string, softwareId: string, key: string): string {
  const now = new Date();
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:v2="http://ws.vendor-b.vn/hrm/sync/v2"><soap:Header>` +
    `<wsse:Security soap:mustUnderstand="true" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">` +
    `<wsu:Timestamp><wsu:Created>${now.toISOString()}</wsu:Created><wsu:Expires>${new Date(now.getTime() + 300_000).toISOString()}</wsu:Expires></wsu:Timestamp>` +
    `<wsse:UsernameToken><wsse:Username>${softwareId}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${key}</wsse:Password></wsse:UsernameToken></wsse:Security>` +
    `</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

const getStatus = (ids: string[]) => `<v2:getStatus>${ids.map((id) => `<trackingId>${id}</trackingId>`).join('')}</v2:getStatus>`;

/** 1,000 different made-up 8 kB ids: one ~8 MB request, under the 10 MiB body cap. */
function madeUpIds(tag: string, count = 1000, size = 8 * 1024): string[] {
  return Array.from({ length: count }, (_, i) => `${tag}-${i}-`.padEnd(size, 'X'));
}

/** Trail rows of one request id, with their size as stored and the number of search references. */
async function trailOf(requestId: string): Promise<{ bytes: number; refs: number; row: Record<string, unknown> }> {
  await h.ctx.audit.flush();
  const rows = await h.ctx.store.db.selectFrom('audit_entries').selectAll().where('request_id', '=', requestId).execute();
  expect(rows).toHaveLength(1);
  const refs = await h.ctx.store.db
    .selectFrom('audit_refs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('seq', '=', rows[0].seq)
    .executeTakeFirstOrThrow();
  return { bytes: JSON.stringify(rows[0]).length, refs: Number(refs.n), row: rows[0] as unknown as Record<string, unknown> };
}

async function trailSize(): Promise<number> {
  await h.ctx.audit.flush();
  const r = await sql<{ n: number }>`select coalesce(sum(length(coalesce(tracking_ids, '')) + length(coalesce(details, '')) + length(coalesce(operation, ''))), 0) as n from audit_entries`.execute(h.ctx.store.db);
  const refs = await sql<{ n: number }>`select coalesce(sum(length(ref)), 0) as n from audit_refs`.execute(h.ctx.store.db);
  return Number(r.rows[0].n) + Number(refs.rows[0].n);
}

beforeAll(async () => {
  h = await startHarness({ config: { limits: { maxStatusIdsPerCall: 1000 } } });
  await h.signingCertFor('000.00.00.H06');
  b = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'HRM-BLOAT' });
  a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-BLOAT' });
  j = await h.legacyClient({ vendor: 'json', softwareId: 'JSON-BLOAT', unitCode: '000.00.00.H06' });
}, 120_000);

afterAll(cleanup);

describe('status queries with made-up ids cannot bloat the trail or the answer', () => {
  it('three getStatus calls with 1,000 invented 8 kB ids each write a few kB per exchange and answer in bounded size', async () => {
    const before = await trailSize();
    for (const tag of ['A', 'B', 'C']) {
      const body = vendorB(getStatus(madeUpIds(tag)), 'HRM-BLOAT', b.connectionKey);
      expect(body.length).toBeGreaterThan(8_000_000);
      const res = await b.request(`${h.url}/hrm/sync/v2`, { headers: SOAP12('getStatus'), body });
      expect(res.status).toBe(200);
      // One result per id, in order, none echoing the huge value.
      expect(res.text.match(/<result>/g)).toHaveLength(1000);
      expect(res.text).not.toContain('X'.repeat(100));
      expect(res.text).toContain('không đúng định dạng');
      expect(res.body.length).toBeLessThan(600_000);
      const trail = await trailOf(String(res.headers['x-request-id']));
      expect(trail.bytes).toBeLessThan(4096);
      expect(trail.refs).toBe(0);
      expect(trail.row).toMatchObject({ operation: 'getStatus', outcome: 'error' });
    }
    expect((await trailSize()) - before).toBeLessThan(3 * 4096);
  }, 120_000);

  it('vendor A TraCuuTrangThai and the JSON tracking path answer a made-up 64 kB id without echoing it', async () => {
    const huge = 'TD'.padEnd(64 * 1024, 'Y');
    const resA = await a.request(`${h.url}/QLCBService.asmx`, {
      headers: SOAP11('TraCuuTrangThai'),
      body: `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><XacThuc xmlns="http://qlcb.vendor-a.vn/"><MaKetNoi>${a.connectionKey}</MaKetNoi></XacThuc></soap:Header><soap:Body><TraCuuTrangThai xmlns="http://qlcb.vendor-a.vn/"><maTheoDoi>${huge}</maTheoDoi></TraCuuTrangThai></soap:Body></soap:Envelope>`,
    });
    expect(resA.status).toBe(200);
    expect(resA.text).toContain('<MaKetQua>9</MaKetQua>');
    expect(resA.text).not.toContain('Y'.repeat(100));
    expect(resA.body.length).toBeLessThan(4096);
    expect((await trailOf(String(resA.headers['x-request-id']))).bytes).toBeLessThan(4096);

    const resJ = await j.request(`${h.url}/api/v1/tracking/${'TD'.padEnd(8 * 1024, 'Z')}`, { headers: { 'x-connection-key': j.connectionKey } });
    expect(resJ.status).toBe(400);
    expect(resJ.json().code).toBe('MA_THEO_DOI_KHONG_HOP_LE');
    expect(resJ.headers['content-type']).toMatch(/problem\+json/);
    expect(resJ.text).not.toContain('Z'.repeat(100));
    expect(resJ.body.length).toBeLessThan(4096);
    expect((await trailOf(String(resJ.headers['x-request-id']))).bytes).toBeLessThan(4096);
  });

  it('caps the ids per status call with a SOAP 1.2 Sender fault naming the limit', async () => {
    const ids = Array.from({ length: 1001 }, (_, i) => `TD${String(i).padStart(25, '0')}`);
    const res = await b.request(`${h.url}/hrm/sync/v2`, { headers: SOAP12('getStatus'), body: vendorB(getStatus(ids), 'HRM-BLOAT', b.connectionKey) });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<code>QUA_NHIEU_MA_THEO_DOI</code>');
    expect(res.text).toContain('1000');
  });

  it('submitRecords: an 8 kB batchId or orgCode is refused, an 8 kB employee id is an error of that record, echoed only as a preview', async () => {
    const long = 'Q'.repeat(8 * 1024);
    const records = (id: string) =>
      `&lt;records xmlns="http://ws.vendor-b.vn/hrm/records/v2"&gt;&lt;employee id="${id}"&gt;&lt;personal&gt;&lt;fullName&gt;Lê Văn Tám&lt;/fullName&gt;&lt;/personal&gt;&lt;/employee&gt;&lt;/records&gt;`;
    const submit = (batchId: string, orgCode: string, id: string) =>
      b.request(`${h.url}/hrm/sync/v2`, {
        headers: SOAP12('submitRecords'),
        body: vendorB(`<v2:submitRecords><batchId>${batchId}</batchId><orgCode>${orgCode}</orgCode><payload>${records(id)}</payload></v2:submitRecords>`, 'HRM-BLOAT', b.connectionKey),
      });
    for (const res of [await submit(long, '000.00.00.H03', 'E-1'), await submit('B-2', long, 'E-1')]) {
      expect(res.status).toBe(400);
      expect(res.text).toContain('<code>GIA_TRI_QUA_DAI</code>');
      expect(res.text).not.toContain('Q'.repeat(100));
      expect((await trailOf(String(res.headers['x-request-id']))).bytes).toBeLessThan(4096);
    }
    const res = await submit('B-3', '000.00.00.H03', long);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<status>INVALID</status>');
    expect(res.text).toContain('employee[1]/@id');
    expect(res.text).not.toContain('Q'.repeat(100));
    expect(res.body.length).toBeLessThan(4096);
  });

  it('a legitimate getStatus with real tracking ids still answers their state, and the trail links them', async () => {
    const payload = sample('vendors/vendor-b-jaxws/samples/records.payload.xml')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;');
    const submitted = await b.request(`${h.url}/hrm/sync/v2`, {
      headers: SOAP12('submitRecords'),
      body: vendorB(`<v2:submitRecords><batchId>B-LEGIT-1</batchId><orgCode>000.00.00.H03</orgCode><payload>${payload}</payload></v2:submitRecords>`, 'HRM-BLOAT', b.connectionKey),
    });
    expect(submitted.status).toBe(200);
    const ids = [...submitted.text.matchAll(/<trackingId>([^<]+)<\/trackingId>/g)].map((m) => m[1]);
    expect(ids).toHaveLength(2);
    const res = await b.request(`${h.url}/hrm/sync/v2`, { headers: SOAP12('getStatus'), body: vendorB(getStatus([...ids, 'TD-KHONG-CO']), 'HRM-BLOAT', b.connectionKey) });
    expect(res.status).toBe(200);
    const results = [...res.text.matchAll(/<result><recordId>([^<]*)<\/recordId><status>([^<]+)<\/status><trackingId>([^<]*)<\/trackingId>/g)].map((m) => [m[1], m[2], m[3]]);
    expect(results).toEqual([
      ['E-77001', 'SYNCED', ids[0]],
      ['E-77002', 'SYNCED', ids[1]],
      ['TD-KHONG-CO', 'ERROR', 'TD-KHONG-CO'],
    ]);
    const trail = await trailOf(String(res.headers['x-request-id']));
    expect(JSON.parse(String(trail.row.tracking_ids))).toEqual(ids);
    expect(trail.refs).toBe(4); // the two tracking ids and the two records' personal-id digests
  });
});
