/**
 * Keep-alive and pipelined calls over real mutual TLS are never cut: a request that arrives
 * while an earlier large answer on the same connection is still draining gets its own full
 * answer. Node's HTTP parser used to refuse such a request with HPE_PAUSED (the data plane then
 * destroyed the connection: a reset, or a 400, for a correct call).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { eventually, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { rawTls, type RawTls } from './helpers/raw-tls.js';
import { submitRecordsRequest, SUBMIT_RECORDS_HEADERS } from '../adapters/vendor-b-jaxws/fixtures/requests.js';
import { dongBoHoSoRequest, soapActionHeaders } from '../adapters/vendor-a-asmx/fixtures/requests.js';

let h: Harness;
let b: LegacyClient;
let nextPersonalId = 1_190_000_000;

/** Generous limits: this file is about connections, not about rate limiting. */
const roomy = { requestsPerSecond: 10_000, recordsPerSecond: 1_000_000, unitRequestsPerSecond: 100_000, unitRecordsPerSecond: 10_000_000, concurrentPerKey: 64 };

beforeAll(async () => {
  h = await startHarness({ config: { rateLimit: roomy } });
  // The sample records re-home to this unit, which signs them.
  await h.signingCertFor('000.00.00.H06');
  b = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'B-PIPELINE' });
}, 120_000);

afterAll(cleanup);

/** A vendor B submitRecords call with 100 new records (a ~160 kB body, many TLS records). */
function submitBody(client: LegacyClient, records = 100): string {
  const first = nextPersonalId;
  nextPersonalId += records;
  return submitRecordsRequest({ records, key: client.connectionKey, softwareId: client.softwareId, orgCode: client.unitCode, firstPersonalId: first, batchId: `KA-${first}` });
}

function rawSubmit(client: LegacyClient, records = 100): string {
  const body = submitBody(client, records);
  return `POST /hrm/sync/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${SUBMIT_RECORDS_HEADERS['content-type']}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** Waits until `count` answers are in or the connection is closed. */
async function answersOrClose(conn: RawTls, count: number) {
  await eventually(() => conn.isClosed() || conn.answers().length >= count, 60_000, 50);
  return conn.answers();
}

const acceptedOf = (body: Buffer | string) => /<accepted>(\d+)<\/accepted>/.exec(body.toString())?.[1];

function expectAllAccepted(answers: { status: number; body: Buffer }[], count: number) {
  expect(answers.map((a) => a.status)).toEqual(Array(count).fill(200));
  expect(answers.map((a) => acceptedOf(a.body))).toEqual(Array(count).fill('100'));
}

describe('pipelined requests on one mTLS connection', () => {
  it('answers a large request that arrives while earlier answers wait their turn (deterministic)', async () => {
    // The first call waits for a slow central database; the WSDL answers behind it (~13 kB each)
    // are ready but must wait their turn, so Node pauses the connection when the next request's
    // headers arrive. That large call's body comes in many TLS records, most of them decrypted
    // after the pause.
    const server = h.node.dataPlane!.server;
    const seen: { url: string; res: ServerResponse }[] = [];
    const onRequest = (req: IncomingMessage, res: ServerResponse) => seen.push({ url: req.url ?? '', res });
    server.on('request', onRequest);
    await h.sim.setFaults({ latencyMs: 10_000 });
    try {
      const conn = await rawTls(h.node.dataPlane!.port, { cert: b.cert, ca: h.ca });
      const wsdl = 'GET /QLCBService.asmx?WSDL HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
      // Two WSDL answers (26 kB) exceed Node's 16 kB mark only once both are written: reading
      // stops at the next request's headers, not at a chunk boundary.
      conn.socket.write(rawSubmit(b, 1) + wsdl.repeat(2));
      await eventually(() => seen.length === 3 && seen.slice(1).every((s) => s.res.writableEnded), 30_000, 10);
      // The test only proves something while the first answer is still pending.
      expect(seen[0].res.writableEnded).toBe(false);
      conn.socket.write(rawSubmit(b));
      const answers = await answersOrClose(conn, 4);
      expect(conn.errors).toEqual([]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      expect(answers.map((a) => acceptedOf(a.body))).toEqual(['1', undefined, undefined, '100']);
      expect(conn.isClosed()).toBe(false); // still a usable keep-alive connection
      conn.socket.destroy();
    } finally {
      server.off('request', onRequest);
      await h.sim.resetFaults();
    }
  }, 90_000);

  it('answers every request written at once, while the client reads slowly', async () => {
    const conn = await rawTls(h.node.dataPlane!.port, { cert: b.cert, ca: h.ca, slowReadMs: 10 });
    const N = 6;
    conn.socket.write(Array.from({ length: N }, () => rawSubmit(b)).join(''));
    const answers = await answersOrClose(conn, N);
    expect(conn.errors).toEqual([]);
    expectAllAccepted(answers, N);
    expect(conn.isClosed()).toBe(false);
    conn.socket.destroy();
  }, 90_000);

  it('answers a request sent as soon as the previous large answer starts arriving', async () => {
    const conn = await rawTls(h.node.dataPlane!.port, { cert: b.cert, ca: h.ca, slowReadMs: 10 });
    const N = 6;
    for (let i = 0; i < N; i++) {
      const before = conn.received().length;
      conn.socket.write(rawSubmit(b));
      // The next request goes out with the first bytes of this answer, not after all of it.
      await eventually(() => conn.isClosed() || conn.received().length > before, 30_000, 2);
      if (conn.isClosed()) break;
    }
    const answers = await answersOrClose(conn, N);
    expect(conn.errors).toEqual([]);
    expectAllAccepted(answers, N);
    expect(conn.isClosed()).toBe(false);
    conn.socket.destroy();
  }, 90_000);
});

describe('keep-alive load', () => {
  it('six vendor B clients (100 records per call) beside vendor A clients: every call answered, none reset', async () => {
    const bClients = await Promise.all(Array.from({ length: 6 }, (_, i) => h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: `B-LOAD-${i}` })));
    const aClients = await Promise.all(Array.from({ length: 2 }, (_, i) => h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: `A-LOAD-${i}` })));
    let personalA = 1;
    const failures: string[] = [];
    const statuses: number[] = [];
    // Each client runs `calls` calls, `parallel` at a time, over its keep-alive agent.
    async function run(calls: number, parallel: number, call: () => Promise<{ status: number; text: string }>) {
      let left = calls;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (left-- > 0) {
            try {
              const r = await call();
              statuses.push(r.status);
              if (r.status !== 200) failures.push(`${r.status} ${r.text.slice(0, 300)}`);
              else if (acceptedOf(r.text) !== undefined && acceptedOf(r.text) !== '100') failures.push(`not all accepted: ${r.text.slice(0, 300)}`);
            } catch (err) {
              failures.push(String((err as Error).message));
            }
          }
        }),
      );
    }
    await Promise.all([
      ...bClients.map((c) => run(6, 2, () => c.request(`${h.url}/hrm/sync/v2`, { headers: { ...SUBMIT_RECORDS_HEADERS }, body: submitBody(c) }))),
      ...aClients.map((c) =>
        run(15, 3, () => c.request(`${h.url}/QLCBService.asmx`, { headers: { ...soapActionHeaders('DongBoHoSo') }, body: dongBoHoSoRequest({ key: c.connectionKey, unitCode: c.unitCode, personalId: `024085${String(personalA++).padStart(6, '0')}` }) })),
      ),
    ]);
    expect(failures).toEqual([]);
    expect(statuses).toHaveLength(6 * 6 + 2 * 15);
  }, 180_000);
});
