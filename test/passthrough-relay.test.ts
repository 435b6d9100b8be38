/**
 * The pass-through relay (gateway/dataplane/passthrough.ts) on its own: what the centre receives
 * and what the caller hears, byte for byte. The relay replaced http-proxy(-middleware); these are
 * the header blocks and answers http-proxy produced, so a caller and the centre see no change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { testContext, cleanup } from './helpers/env.js';
import { initPki } from '../certs/pki.js';
import { centralClientIdentity, serverTlsMaterial } from '../certs/material.js';
import { createPassThrough } from '../gateway/dataplane/passthrough.js';

let centre: https.Server;
let front: http.Server;
let frontToNowhere: http.Server;
let seen: { method?: string; url?: string; rawHeaders: string[]; body: string }[] = [];

const listen = async (server: http.Server | https.Server): Promise<number> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
};

/** A plain-HTTP door in front of the relay (the data plane sets x-request-id before relaying). */
function frontFor(relay: ReturnType<typeof createPassThrough>): http.Server {
  return http.createServer((req, res) => {
    res.setHeader('x-request-id', 'RID-1');
    void relay(req, res, { unitCode: '000.00.00.H03', softwareId: 'SW-1', requestId: 'RID-1' });
  });
}

/** Sends raw request text, returns the raw answer with the Date header's value blanked. */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out.replace(/\r\nDate: [^\r]*\r\n/i, '\r\nDate: X\r\n')));
    socket.write(text);
    setTimeout(() => socket.end(), 1500);
  });
}

beforeAll(async () => {
  const ctx = await testContext('sqlite');
  await initPki(ctx);
  const material = await serverTlsMaterial(ctx, 'dataplane');
  centre = https.createServer({ ...material, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, rawHeaders: req.rawHeaders, body });
      const answer = Buffer.from(JSON.stringify({ ok: 'có', body }));
      res.writeHead(200, 'Custom', [
        ['Content-Type', 'application/json; charset=utf-8'],
        ['Content-Length', String(answer.length)],
        ['Set-Cookie', 'a=1'],
        ['Set-Cookie', 'b=2'],
        ['Connection', 'keep-alive'],
        ['Keep-Alive', 'timeout=5'],
        ['X-Thing', 'v'],
      ]);
      res.end(answer);
    });
  });
  const centrePort = await listen(centre);
  const identity = await centralClientIdentity(ctx);
  front = frontFor(createPassThrough(`https://127.0.0.1:${centrePort}`, identity, 'CENTRAL-TOKEN', 5000));
  // A centre nobody listens on: the port of a server closed at once.
  const gone = http.createServer();
  const gonePort = await listen(gone);
  await new Promise((r) => gone.close(r));
  frontToNowhere = frontFor(createPassThrough(`https://127.0.0.1:${gonePort}`, identity, 'CENTRAL-TOKEN', 5000));
  await listen(front);
  await listen(frontToNowhere);
}, 120_000);

afterAll(async () => {
  centre?.close();
  front?.close();
  frontToNowhere?.close();
  await cleanup();
});

const port = (s: http.Server) => (s.address() as AddressInfo).port;

describe('pass-through relay', () => {
  it('hands the centre the caller headers without credentials or hop-by-hop ones, in http-proxy order, and the caller the answer with its own Connection last', async () => {
    seen = [];
    const answer = await raw(
      port(front),
      'GET /api/v1/profiles/024085001234?x=1 HTTP/1.1\r\nHost: gw\r\nX-Connection-Key: SECRET\r\nCookie: c=1\r\nAuthorization: Basic eDp5\r\nAccept: */*\r\nX-Foo: 1\r\nConnection: keep-alive, X-Foo\r\n\r\n',
    );
    expect(seen).toHaveLength(1);
    expect(seen[0].url).toBe('/api/v1/profiles/024085001234?x=1');
    expect(seen[0].rawHeaders).toEqual([
      'x-request-id', 'RID-1',
      'x-ma-phan-mem', 'SW-1',
      'x-ma-don-vi', '000.00.00.H03',
      'accept', '*/*',
      'authorization', 'Bearer CENTRAL-TOKEN',
      'host', `127.0.0.1:${(centre.address() as AddressInfo).port}`,
      'Connection', 'keep-alive',
    ]);
    const body = JSON.stringify({ ok: 'có', body: '' });
    expect(answer).toBe(
      'HTTP/1.1 200 Custom\r\nx-request-id: RID-1\r\ncontent-type: application/json; charset=utf-8\r\n' +
        `content-length: ${Buffer.byteLength(body)}\r\nset-cookie: a=1\r\nset-cookie: b=2\r\nx-thing: v\r\nDate: X\r\nconnection: keep-alive, X-Foo\r\n\r\n` +
        Buffer.from(body).toString('latin1'),
    );
  });

  it('answers an HTTP/1.0 caller with Connection: close, and passes a request body on', async () => {
    seen = [];
    const answer = await raw(port(front), 'GET /api/v1/units/000.00.00.H03/tree HTTP/1.0\r\nHost: gw\r\nContent-Length: 3\r\n\r\nabc');
    expect(seen[0].body).toBe('abc');
    expect(answer.startsWith('HTTP/1.1 200 Custom\r\nx-request-id: RID-1\r\n')).toBe(true);
    expect(answer).toContain('\r\nconnection: close\r\n');
  });

  it('answers CSDL_TRUNG_UONG_KHONG_SAN_SANG when the centre cannot be reached', async () => {
    const answer = await raw(port(frontToNowhere), 'GET /api/v1/profiles/024085001234 HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toContain('CSDL_TRUNG_UONG_KHONG_SAN_SANG');
  });
});
