/**
 * The limiter behind a real mutual-TLS server on the real Redis: the lockout is keyed by the
 * client certificate serial exactly as Node reports it, a client guessing keys is locked out
 * (even with its valid key) while another client from the same address is not, and a client
 * hammering past its limit gets 429 + Retry-After while the other client's calls all pass.
 * The small request handler here stands in for the data plane's pipeline order only
 * (lockout → key → concurrency slot → rate limits); the real pipeline is tested by its owner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { createRateLimiter, type RateLimiter } from '../gateway/ratelimit/index.js';
import { isGatewayError } from '../core/errors.js';
import { cleanup } from './helpers/env.js';
import { dropRedisKeys, limiterContext } from './ratelimit-helpers.js';

interface Pem { key: string; cert: string }

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  return { pem, priv: forge.pki.privateKeyFromPem(pem), pub: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()) };
}

function certificate(cn: string, serial: string, issuer: { cert: forge.pki.Certificate; priv: forge.pki.rsa.PrivateKey } | null, ext: object[]) {
  const kp = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = kp.pub;
  cert.serialNumber = serial;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3600_000);
  cert.setSubject([{ name: 'commonName', value: cn }]);
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : [{ name: 'commonName', value: cn }]);
  cert.setExtensions(ext);
  cert.sign(issuer ? issuer.priv : kp.priv, forge.md.sha256.create());
  return { cert, priv: kp.priv, pem: { key: kp.pem, cert: forge.pki.certificateToPem(cert) } as Pem };
}

let ca: ReturnType<typeof certificate>;
let serverPem: Pem;
let clientA: Pem;
let clientB: Pem;
let limiter: RateLimiter;
let server: https.Server;
let port: number;
const prefixes: string[] = [];

const KEYS: Record<string, { keyId: string; unitCode: string }> = {
  'KEY_A.secret-a': { keyId: 'KEY_A', unitCode: 'U1' },
  'KEY_B.secret-b': { keyId: 'KEY_B', unitCode: 'U1' },
  'KEY_A2.secret-a2': { keyId: 'KEY_A2', unitCode: 'U1' },
};

beforeAll(async () => {
  ca = certificate('Test CA', '01', null, [{ name: 'basicConstraints', cA: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true }]);
  const leaf = (cn: string, serial: string, usage: object) =>
    certificate(cn, serial, ca, [{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true }, usage]).pem;
  serverPem = leaf('localhost', '02', { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] });
  clientA = leaf('software-a', '0a1b2c', { name: 'extKeyUsage', clientAuth: true });
  clientB = leaf('software-b', '0d3e4f', { name: 'extKeyUsage', clientAuth: true });

  // 0.1/s with 51 s of burst: 1 call per 10 s window + a pool of 5 per minute, so 6 calls per key
  // pass at once and the windows cannot roll over while the handshakes of a slow machine run.
  const ctx = limiterContext({ requestsPerSecond: 0.1, burstSeconds: 51, burstWindowSeconds: 60, unitRequestsPerSecond: 1000, lockoutThreshold: 3, lockoutBaseSeconds: 60 });
  prefixes.push(ctx.config.redisPrefix);
  limiter = createRateLimiter(ctx);
  expect(await limiter.ready(5000)).toBe(true);

  server = https.createServer({ ...serverPem, ca: ca.pem.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    void (async () => {
      const socket = req.socket as TLSSocket;
      const client = { certSerial: socket.getPeerCertificate().serialNumber, remoteAddress: socket.remoteAddress };
      let release: (() => void) | undefined;
      try {
        await limiter.assertNotLockedOut(client);
        const identity = KEYS[String(req.headers['x-connection-key'])];
        if (!identity) {
          await limiter.noteInvalidKey(client);
          res.writeHead(401).end('KHOA_KET_NOI_KHONG_HOP_LE');
          return;
        }
        release = limiter.acquireSlot(identity.keyId);
        await limiter.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 1 });
        res.writeHead(200).end('ok');
      } catch (err) {
        if (!isGatewayError(err)) throw err;
        res.writeHead(err.httpStatus, err.retryAfterSeconds ? { 'retry-after': String(err.retryAfterSeconds) } : {}).end(err.code);
      } finally {
        release?.();
      }
    })().catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await limiter?.close();
  await dropRedisKeys(prefixes);
  await cleanup();
});

function call(client: Pem, key: string): Promise<{ status: number; body: string; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/', method: 'POST', servername: 'localhost', ca: ca.pem.cert, ...client, agent: false, headers: { 'x-connection-key': key } },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, retryAfter: res.headers['retry-after'] as string | undefined }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('abuse protection behind mutual TLS', () => {
  it('refuses the client over its limit with 429 and Retry-After while the other client is served', async () => {
    const a = await Promise.all(Array.from({ length: 10 }, () => call(clientA, 'KEY_A.secret-a')));
    const b = await Promise.all(Array.from({ length: 5 }, () => call(clientB, 'KEY_B.secret-b')));
    expect(a.filter((r) => r.status === 200)).toHaveLength(6);
    const refused = a.filter((r) => r.status === 429);
    expect(refused).toHaveLength(4);
    for (const r of refused) {
      expect(r.body).toBe('VUOT_HAN_MUC');
      expect(r.retryAfter).toMatch(/^[1-9]\d*$/);
    }
    expect(b.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('locks out the certificate that guesses keys, not its neighbour at the same address, until an admin lifts it', async () => {
    for (let i = 0; i < 3; i++) expect((await call(clientA, `KEY_A.guess-${i}`)).status).toBe(401);
    const locked = await call(clientA, 'KEY_A.secret-a'); // even its valid key
    expect(locked).toMatchObject({ status: 429, body: 'KHOA_KET_NOI_BI_KHOA' });
    expect(Number(locked.retryAfter)).toBeGreaterThan(50);
    // Client B connects from the same address (127.0.0.1) with its own certificate.
    expect((await call(clientB, 'KEY_B.secret-b')).status).toBe(200);
    const lockouts = await limiter.listLockouts();
    // Node reports "0A1B2C"; the id uses the gateway's spelling of serials (no leading zeros).
    expect(lockouts).toEqual([expect.objectContaining({ id: 'cert:A1B2C', kind: 'cert', lastRemoteAddress: '127.0.0.1' })]);
    await limiter.liftLockout('cert:0a:1b:2c', 'CN=test-admin'); // any spelling an operator types
    expect((await call(clientA, 'KEY_A2.secret-a2')).status).toBe(200); // KEY_A used its allowance in the first test
  });
});
