/**
 * The front door, as the issue's "done when" states it: two gateway PROCESSES sharing one
 * PostgreSQL store; a valid certificate with an active key passes on both; every kind of bad
 * certificate is refused at the handshake; revocation, suspension and cancellation bite on both
 * within 5 seconds, without a restart — including an open keep-alive connection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import tls from 'node:tls';
import { cleanup, testConfig, testContext } from './helpers/env.js';
import { eventually, tlsClient, type TlsClient } from './helpers/http.js';
import { gatewayEnv, startGatewayProcess, type GatewayProcess } from './helpers/processes.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { revokeCertificate } from '../certs/revocation.js';
import { activateKey, cancelKey, createKey, suspendKey } from '../gateway/keys/service.js';
import { startCentralSim } from '../central-sim/server.js';
import { serverTlsMaterial } from '../certs/material.js';
import type { AppContext } from '../core/context.js';
import type { IssuedCertificate } from '../certs/types.js';
import { x509 } from '../certs/x509.js';

let ctx: AppContext;
let gateways: GatewayProcess[];
let chain: string;

const whoami = (client: TlsClient, gw: GatewayProcess, key: string, fresh = false) =>
  client.request(`${gw.url}/api/v1/whoami`, { headers: { 'x-connection-key': key }, fresh });

/** A TLS handshake alone: resolves 'ok' or the error code of the refusal. */
function handshake(gw: GatewayProcess, cert?: { certPem: string; keyPem: string }, ca = chain): Promise<string> {
  const url = new URL(gw.url);
  return new Promise((resolve) => {
    const socket = tls.connect({ host: url.hostname, port: Number(url.port), ca, cert: cert?.certPem, key: cert?.keyPem, servername: 'localhost' }, () => {
      // TLS 1.3: the server refuses the client certificate after the client's Finished; a
      // refused client sees the alert on its first read.
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    socket.once('data', () => {
      socket.destroy();
      resolve('ok');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.once('close', () => resolve('closed'));
  });
}

beforeAll(async () => {
  const config = testConfig('postgres', { keys: { refreshIntervalMs: 500 } });
  ctx = await testContext('postgres', config);
  await ensurePki(ctx);
  const sim = await startCentralSim({ config, listen: '127.0.0.1:0', tls: await serverTlsMaterial(ctx, 'central-sim') });
  ctx.config.centralUrl = sim.url;
  const env = gatewayEnv(ctx.config, { NDXP_CENTRAL_TOKEN: 'test-token' });
  gateways = await Promise.all([startGatewayProcess(env), startGatewayProcess(env)]);
  chain = (await issueCertificate(ctx, { kind: 'client', cn: 'probe', unit: '000.00.00.H06' }, 'test')).chainPem;
  return async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await sim.close();
  };
}, 180_000);

afterAll(cleanup);

async function installation(cn: string): Promise<{ cert: IssuedCertificate; key: string; keyId: string; client: TlsClient }> {
  const cert = await issueCertificate(ctx, { kind: 'client', cn, unit: '000.00.00.H06' }, 'test');
  const key = await createKey(ctx, { softwareId: cn, unitCode: '000.00.00.H06', vendor: 'json' } as never, 'test');
  const client = tlsClient(cert, chain);
  // A new key reaches every instance within one refresh interval, like any other change.
  for (const gw of gateways) await eventually(async () => (await whoami(client, gw, key.connectionKey)).status === 200, 5000);
  return { cert, key: key.connectionKey, keyId: key.keyId, client };
}

describe('two gateway processes sharing PostgreSQL', () => {
  it('a valid certificate with an active key passes on both', async () => {
    const { client, key, keyId } = await installation('PM-OK');
    for (const gw of gateways) {
      const res = await whoami(client, gw, key);
      expect(res.status).toBe(200);
      expect(res.json().maKetNoi.keyId).toBe(keyId);
    }
    client.close();
  });

  it('refuses at the handshake: no certificate, an unknown CA, an expired and a not-yet-valid certificate', async () => {
    const gw = gateways[0];
    expect(await handshake(gw)).not.toBe('ok');
    // A certificate from another CA, self-signed.
    const keys = await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
    const foreign = await x509.X509CertificateGenerator.createSelfSigned({ serialNumber: '01', name: 'CN=intruder', notBefore: new Date(Date.now() - 3600_000), notAfter: new Date(Date.now() + 86_400_000), keys, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' } });
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
    const foreignPem = { certPem: foreign.toString('pem'), keyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n` };
    expect(await handshake(gw, foreignPem)).not.toBe('ok');
    const expired = await issueCertificate(ctx, { kind: 'client', cn: 'PM-EXPIRED', unit: '000.00.00.H06', notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }, 'test');
    expect(await handshake(gw, expired)).not.toBe('ok');
    const future = await issueCertificate(ctx, { kind: 'client', cn: 'PM-FUTURE', unit: '000.00.00.H06', notBefore: new Date(Date.now() + 86_400_000), notAfter: new Date(Date.now() + 10 * 86_400_000) }, 'test');
    expect(await handshake(gw, future)).not.toBe('ok');
    const good = await issueCertificate(ctx, { kind: 'client', cn: 'PM-GOOD', unit: '000.00.00.H06' }, 'test');
    expect(await handshake(gw, good)).toBe('ok');
    // Each refusal is counted by its reason on the admin plane's /metrics.
    const metrics = await new Promise<string>((resolve, reject) => {
      https.get(`${gw.adminUrl}/metrics`, { ca: chain, rejectUnauthorized: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve(text));
      }).on('error', reject);
    });
    for (const reason of ['no_certificate', 'unknown_ca', 'expired', 'not_yet_valid']) {
      expect(metrics).toMatch(new RegExp(`ndxp_tls_handshake_failures_total\\{reason="${reason}"\\} [1-9]`));
    }
  });

  it('suspension bites on both within 5 s; activation restores; cancellation is final', async () => {
    const { client, key, keyId } = await installation('PM-SUSPEND');
    for (const gw of gateways) expect((await whoami(client, gw, key)).status).toBe(200);
    await suspendKey(ctx, keyId, 'kiểm tra', 'test');
    for (const gw of gateways) await eventually(async () => (await whoami(client, gw, key)).status === 401, 5000);
    const refused = await whoami(client, gateways[1], key);
    expect(refused.json()).toMatchObject({ code: 'KHOA_KET_NOI_KHONG_HOP_LE' });
    await activateKey(ctx, keyId, 'test');
    for (const gw of gateways) await eventually(async () => (await whoami(client, gw, key)).status === 200, 5000);
    await cancelKey(ctx, keyId, 'phần mềm ngừng sử dụng', 'test');
    for (const gw of gateways) await eventually(async () => (await whoami(client, gw, key)).status === 401, 5000);
    await expect(activateKey(ctx, keyId, 'test')).rejects.toThrow();
    client.close();
  });

  it('revocation bites on both within 5 s: the open keep-alive connection is cut and new handshakes fail', async () => {
    const { cert, client, key } = await installation('PM-REVOKE');
    // Keep-alive connections to both gateways are open and working.
    for (const gw of gateways) expect((await whoami(client, gw, key)).status).toBe(200);
    await revokeCertificate(ctx, cert.serial, 'keyCompromise', 'test');
    for (const gw of gateways) {
      await eventually(async () => {
        // On the pooled connection: either it was closed (request error) or the request is refused.
        const res = await whoami(client, gw, key).catch(() => undefined);
        return !res || res.status === 403;
      }, 5000);
      await eventually(async () => (await handshake(gw, cert)) !== 'ok', 5000);
      const fresh = await whoami(client, gw, key, true).catch((err: Error) => err);
      expect(fresh instanceof Error || fresh.status === 403).toBe(true);
    }
    client.close();
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM: the process finishes and exits 0', async () => {
    const env = gatewayEnv(ctx.config, { NDXP_CENTRAL_TOKEN: 'test-token' });
    const gw = await startGatewayProcess(env);
    expect(await gw.stop()).toBe(0);
  });
});

