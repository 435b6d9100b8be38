/**
 * Connection-level limits on a real HTTPS server with a self-signed certificate made here:
 * slow-loris headers, slow body, oversized headers, a silent TLS connection and a TCP client
 * that never starts the handshake are all cut (and counted); a normal request is untouched.
 * Timeouts are a few hundred milliseconds so the file runs quickly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { applyHttpLimits, httpServerOptions, type ConnectionLimits, type CutReason } from '../gateway/ratelimit/http-limits.js';

let material: { key: string; cert: string };

beforeAll(() => {
  // Key from Node (fast), self-signed certificate built with node-forge.
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3600_000);
  const name = [{ name: 'commonName', value: 'localhost' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }]);
  cert.sign(forge.pki.privateKeyFromPem(key), forge.md.sha256.create());
  material = { key, cert: forge.pki.certificateToPem(cert) };
});

const servers: https.Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const BASE: ConnectionLimits = { headersTimeoutMs: 300, requestTimeoutMs: 800, maxHeaderBytes: 2048, keepAliveTimeoutMs: 500 };

async function server(limits: Partial<ConnectionLimits> = {}, idleTimeoutMs?: number) {
  const l = { ...BASE, ...limits };
  const cuts: CutReason[] = [];
  const srv = https.createServer({ ...material, ...httpServerOptions(l) }, (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  applyHttpLimits(srv, l, { onCut: (r) => cuts.push(r), ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {}) });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return { port: (srv.address() as net.AddressInfo).port, cuts };
}

/** A raw TLS client: writes what the test says and collects everything until the server closes. */
async function rawTls(port: number) {
  const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
  let received = '';
  socket.on('data', (d) => (received += d.toString('utf8')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, closed, received: () => received };
}

/** Keeps calling step every intervalMs until the connection closes or maxMs pass; tells whether it closed. */
async function trickleUntilClosed(conn: Awaited<ReturnType<typeof rawTls>>, step: (i: number) => void, intervalMs: number, maxMs: number) {
  let isClosed = false;
  void conn.closed.then(() => (isClosed = true));
  for (let i = 0, t = 0; t < maxMs && !isClosed; i++, t += intervalMs) {
    if (!conn.socket.destroyed && conn.socket.writable) step(i);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return isClosed;
}

describe('HTTP connection limits', () => {
  it('lets a normal request through', async () => {
    const { port, cuts } = await server();
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false }, (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve(`${res.statusCode} ${data}`));
        })
        .on('error', reject);
    });
    expect(body).toBe('200 ok');
    expect(cuts).toEqual([]);
  });

  it('cuts a slow-loris client trickling headers, with a 408 answer', async () => {
    const { port, cuts } = await server();
    const conn = await rawTls(port);
    conn.socket.write('POST /vendor-a HTTP/1.1\r\nHost: localhost\r\n');
    const closed = await trickleUntilClosed(conn, (i) => conn.socket.write(`X-Slow-${i}: a\r\n`), 50, 8000);
    expect(closed).toBe(true);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(conn.received()).toContain('HET_THOI_GIAN');
    expect(cuts).toEqual(['headers_timeout']);
  });

  it('cuts a client trickling its body once the request time is up', async () => {
    const { port, cuts } = await server();
    const conn = await rawTls(port);
    conn.socket.write('POST /vendor-a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n');
    const closed = await trickleUntilClosed(conn, () => conn.socket.write('x'), 50, 8000);
    expect(closed).toBe(true);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(cuts).toEqual(['request_timeout']);
  });

  it('refuses oversized headers with 431', async () => {
    const { port, cuts } = await server();
    const conn = await rawTls(port);
    conn.socket.write(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    await conn.closed;
    expect(conn.received()).toMatch(/^HTTP\/1\.1 431 /);
    expect(conn.received()).toContain('TIEU_DE_QUA_LON');
    expect(cuts).toEqual(['header_too_large']);
  });

  it('answers a malformed request with 400 and closes', async () => {
    const { port, cuts } = await server();
    const conn = await rawTls(port);
    conn.socket.write('THIS IS NOT HTTP\r\n\r\n');
    await conn.closed;
    expect(conn.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(cuts).toEqual(['bad_request']);
  });

  it('closes a connection that goes silent', async () => {
    const { port, cuts } = await server({ headersTimeoutMs: 5000, requestTimeoutMs: 10_000 }, 200);
    const conn = await rawTls(port);
    await conn.closed; // never writes anything
    expect(cuts).toEqual(['idle_timeout']);
  });

  it('cuts a TCP client that never starts the TLS handshake', async () => {
    const { port, cuts } = await server();
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise((r) => socket.once('close', r));
    expect(cuts).toEqual(['handshake_timeout']);
  });

  it('derives server options Node accepts (headers timeout never above request timeout)', () => {
    const o = httpServerOptions({ headersTimeoutMs: 10_000, requestTimeoutMs: 5000, maxHeaderBytes: 16384, keepAliveTimeoutMs: 30_000 });
    expect(o).toMatchObject({ headersTimeout: 5000, requestTimeout: 5000, maxHeaderSize: 16384, keepAliveTimeout: 30_000, handshakeTimeout: 5000, connectionsCheckingInterval: 1000 });
    expect(() => https.createServer({ ...material, ...o }).close()).not.toThrow();
  });
});
