/**
 * Admission (gateway/pipeline/stages/admission.ts): with NDXP_MAX_IN_FLIGHT requests at work, the
 * next request is refused at once, in its caller's protocol, before its body is read; slots come
 * back when requests finish. Two clients that sent headers and only part of their bodies hold
 * the two slots of this gateway, over real mutual TLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { rawTls, type RawTls } from './helpers/raw-tls.js';
import { registry } from '../core/metrics.js';
import { flushShed } from '../gateway/pipeline/shed-report.js';

let h: Harness;
let a: LegacyClient;
let b: LegacyClient;
let j: LegacyClient;

const SOAP11 = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' };
const vendorA = (key: string) => sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', key);

beforeAll(async () => {
  h = await startHarness({ config: { limits: { maxInFlight: 2 } } });
  await h.signingCertFor('000.00.00.H06');
  a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A' });
  b = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'HRM-B' });
  j = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
}, 120_000);

afterAll(cleanup);

/** A vendor A call whose body stops halfway: it holds an admission slot until the rest is sent. */
async function halfSent(): Promise<{ conn: RawTls; finish(): void }> {
  const body = Buffer.from(vendorA(a.connectionKey));
  const conn = await rawTls(h.node.dataPlane!.port, { cert: a.cert, ca: h.ca });
  const head = `POST /QLCBService.asmx HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${SOAP11['content-type']}\r\nSOAPAction: ${SOAP11.soapaction}\r\nContent-Length: ${body.length}\r\n\r\n`;
  conn.socket.write(head);
  conn.socket.write(body.subarray(0, 200));
  return { conn, finish: () => conn.socket.write(body.subarray(200)) };
}

const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const admitted = async () => Number(/ndxp_requests_admitted (\d+)/.exec(await registry.getSingleMetricAsString('ndxp_requests_admitted'))?.[1] ?? 0);
const refusedCount = async () => Number(/ndxp_overload_refusals_total (\d+)/.exec(await registry.getSingleMetricAsString('ndxp_overload_refusals_total'))?.[1] ?? 0);

describe('admission: at most NDXP_MAX_IN_FLIGHT requests at work per process', () => {
  it('refuses the next request in its own protocol while two are at work, and takes requests again once they finish', async () => {
    const before = await refusedCount();
    const first = await halfSent();
    const second = await halfSent();
    // Both have been admitted (their bodies are being read) before anything else is sent.
    await until(async () => (await admitted()) === 2);

    // Vendor A: a SOAP 1.1 Server fault naming the code.
    const soap = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(a.connectionKey) });
    expect(soap.status).toBe(500);
    expect(soap.text).toContain('<faultcode>soap:Server</faultcode>');
    expect(soap.text).toContain('CONG_KET_NOI_QUA_TAI');
    // Vendor B: a SOAP 1.2 Receiver fault with its SyncFault code and retryAfterSeconds.
    const soap12 = await b.request(`${h.url}/hrm/sync/v2`, {
      headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
      body: sample('vendors/vendor-b-jaxws/samples/submitRecords.request.xml').replace(/\{\{[A-Z_]+\}\}/g, b.connectionKey),
    });
    expect(soap12.text).toContain('soap:Receiver');
    expect(soap12.text).toMatch(/<code>CONG_KET_NOI_QUA_TAI<\/code>/);
    // JSON: a problem document, 503 with Retry-After.
    const json = await j.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': j.connectionKey } });
    expect(json.status).toBe(503);
    expect(json.headers['retry-after']).toBe('1');
    expect(JSON.parse(json.text)).toMatchObject({ code: 'CONG_KET_NOI_QUA_TAI' });
    expect(await refusedCount()).toBe(before + 3);

    // In the trail and the log the refusals are summed per interval, not one entry each.
    flushShed(h.ctx);
    await h.ctx.audit.flush();
    const entries = await h.ctx.store.db.selectFrom('audit_entries').select(['kind', 'operation', 'details']).where('code', '=', 'CONG_KET_NOI_QUA_TAI').execute();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: 'refusal', operation: 'admission' });
    expect(JSON.parse(entries[0].details!)).toMatchObject({ refused: 3, byFront: { 'vendor-a-asmx': 1, 'vendor-b-jaxws': 1, json: 1 } });

    // The two finish and are answered; their slots come back.
    first.finish();
    second.finish();
    await until(() => first.conn.answers().length === 1 && second.conn.answers().length === 1, 30_000);
    for (const conn of [first.conn, second.conn]) {
      expect(conn.answers()[0].status).toBe(200);
      expect(conn.answers()[0].body.toString('utf8')).toContain('<MaKetQua>');
      conn.socket.destroy();
    }
    const again = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(a.connectionKey) });
    expect(again.status).toBe(200);
    expect(again.text).toMatch(/<MaKetQua>[01]<\/MaKetQua>/);
  }, 60_000);

  it('a pass-through read holds its slot until the centre\'s answer is relayed', async () => {
    await h.sim.setFaults({ latencyMs: 1500 });
    let reads: Promise<{ status: number }>[] = [];
    try {
      reads = [0, 1].map((i) => j.request(`${h.url}/api/v1/profiles/00108509000${i}`, { headers: { 'x-connection-key': j.connectionKey } }));
      await until(async () => (await admitted()) === 2);
      const json = await j.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': j.connectionKey } });
      expect(json.status).toBe(503);
    } finally {
      await h.sim.resetFaults();
    }
    for (const r of await Promise.all(reads)) expect(r.status).toBe(404);
    await until(async () => (await admitted()) === 0);
  }, 60_000);
});
