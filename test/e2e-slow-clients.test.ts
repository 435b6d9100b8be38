/**
 * Slow clients over real TLS, with short limits configured for this file: a client trickling its
 * headers (or its body) is cut on both listeners, and the 408 it hears is in its own protocol —
 * vendor A's SOAP 1.1 fault, vendor B's SOAP 1.2 fault, vendor C's XML on their fronts' paths,
 * a JSON problem elsewhere and on the admin plane. Bounds are generous: no timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { rawTls, type RawTls } from './helpers/raw-tls.js';

let h: Harness;
let client: LegacyClient;

/** Far above the configured limits (1 s for headers, 2 s per request) plus Node's sweep. */
const GENEROUS_BOUND_MS = 20_000;

beforeAll(async () => {
  h = await startHarness({ config: { limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 } } });
  client = await h.legacyClient({ vendor: 'json', softwareId: 'SLOW-CLIENT' });
}, 120_000);

afterAll(cleanup);

/** Calls `step` every 100 ms until the server closes the connection or the bound passes. */
async function trickle(conn: RawTls, step: (i: number) => void): Promise<boolean> {
  const deadline = Date.now() + GENEROUS_BOUND_MS;
  for (let i = 0; !conn.isClosed() && Date.now() < deadline; i++) {
    if (conn.socket.writable) step(i);
    await new Promise((r) => setTimeout(r, 100));
  }
  return conn.isClosed();
}

/** Sends a request line and then one header line at a time, never finishing the headers. */
async function trickleHeaders(port: number, path: string, withCert = true) {
  const conn = await rawTls(port, { ca: h.ca, ...(withCert ? { cert: client.cert } : {}) });
  conn.socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
  const cut = await trickle(conn, (i) => conn.socket.write(`X-Slow-${i}: a\r\n`));
  conn.socket.destroy();
  return { cut, answers: conn.answers() };
}

describe('data plane: a slow request is answered in its caller protocol', () => {
  it('vendor A path: SOAP 1.1 Client fault HET_THOI_GIAN', async () => {
    const { cut, answers } = await trickleHeaders(h.node.dataPlane!.port, '/QLCBService.asmx');
    expect(cut).toBe(true);
    expect(answers).toHaveLength(1);
    expect(answers[0].headers['content-type']).toContain('text/xml');
    const text = answers[0].body.toString('utf8');
    expect(text).toContain('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">');
    expect(text).toContain('<faultcode>soap:Client</faultcode>');
    expect(text).toContain('<faultstring>Yêu cầu quá thời gian xử lý cho phép (HET_THOI_GIAN)</faultstring>');
  });

  it('vendor B path: SOAP 1.2 Sender fault with SyncFault code HET_THOI_GIAN', async () => {
    const { cut, answers } = await trickleHeaders(h.node.dataPlane!.port, '/hrm/sync/v2');
    expect(cut).toBe(true);
    expect(answers).toHaveLength(1);
    expect(answers[0].headers['content-type']).toContain('application/soap+xml');
    const text = answers[0].body.toString('utf8');
    expect(text).toContain('<soap:Value>soap:Sender</soap:Value>');
    expect(text).toContain('<code>HET_THOI_GIAN</code>');
  });

  it('vendor C path: its own XML answer, HTTP 408', async () => {
    const { cut, answers } = await trickleHeaders(h.node.dataPlane!.port, '/vendor-c/hoso');
    expect(cut).toBe(true);
    expect(answers).toHaveLength(1);
    expect(answers[0].status).toBe(408);
    expect(answers[0].body.toString('utf8')).toMatch(/<KetQua><Ma>[^<]+<\/Ma><ThongBao>Yêu cầu quá thời gian xử lý cho phép \(HET_THOI_GIAN\)<\/ThongBao><\/KetQua>/);
  });

  it('vendor B path, slow body: the same SOAP 1.2 fault once the request time is up', async () => {
    const conn = await rawTls(h.node.dataPlane!.port, { ca: h.ca, cert: client.cert });
    conn.socket.write('POST /hrm/sync/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml; charset=UTF-8\r\nContent-Length: 100000\r\n\r\n<?xml');
    const cut = await trickle(conn, () => conn.socket.write(' '));
    conn.socket.destroy();
    expect(cut).toBe(true);
    const answers = conn.answers();
    expect(answers).toHaveLength(1);
    expect(answers[0].body.toString('utf8')).toContain('<code>HET_THOI_GIAN</code>');
  });

  it('any other path: a JSON problem, HTTP 408', async () => {
    const { cut, answers } = await trickleHeaders(h.node.dataPlane!.port, '/api/v1/whoami');
    expect(cut).toBe(true);
    expect(answers).toHaveLength(1);
    expect(answers[0].status).toBe(408);
    expect(answers[0].headers['content-type']).toContain('application/problem+json');
    expect(JSON.parse(answers[0].body.toString('utf8'))).toMatchObject({ status: 408, code: 'HET_THOI_GIAN' });
  });
});

describe('admin plane: slow-loris limits', () => {
  it('cuts a client trickling its headers (no certificate needed to try) with a JSON 408', async () => {
    const { cut, answers } = await trickleHeaders(h.node.adminPlane!.port, '/api/v1/admin/keys', false);
    expect(cut).toBe(true);
    expect(answers).toHaveLength(1);
    expect(answers[0].status).toBe(408);
    expect(JSON.parse(answers[0].body.toString('utf8'))).toMatchObject({ status: 408, code: 'HET_THOI_GIAN' });
  }, 60_000);

  it('refuses oversized headers with 431', async () => {
    const conn = await rawTls(h.node.adminPlane!.port, { ca: h.ca });
    conn.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(h.ctx.config.limits.maxHeaderBytes)}\r\n\r\n`);
    await conn.closed;
    expect(conn.answers().map((a) => a.status)).toEqual([431]);
  });

  it('still answers a normal request', async () => {
    const admin = await h.adminClient('network-admin');
    expect((await admin.request(`${h.adminUrl}/api/v1/admin/whoami`)).status).toBe(200);
  });
});
