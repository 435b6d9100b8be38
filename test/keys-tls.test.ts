/**
 * Certificate binding over a real mutual-TLS handshake: client certificates issued by the
 * gateway's CA, the peer read on the server side exactly as the data plane reads it (peerOf),
 * and keys bound by the serial or the subject that `ndxp certs issue` printed.
 */
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testContext } from './helpers/env.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { serverTlsMaterial } from '../certs/material.js';
import { peerOf, type Peer } from '../gateway/pipeline/peer.js';
import { GatewayError } from '../core/errors.js';
import { createKey } from '../gateway/keys/service.js';
import { createKeyValidator } from '../gateway/keys/validator.js';

afterAll(cleanup);

// The store plays no part in the binding check (both stores are covered by keys*.test.ts); one
// kind keeps the CA key generation off the shared CPUs.
describe.each(STORE_KINDS.filter((k) => k === 'sqlite'))('key certificate binding over mutual TLS on %s', (kind) => {
  it('accepts the bound certificate and refuses another one from the same CA', async () => {
    const ctx = await testContext(kind);
    await ensurePki(ctx);
    const material = await serverTlsMaterial(ctx, 'dataplane');
    const mine = await issueCertificate(ctx, { kind: 'client', cn: 'QLCB-A-HN', unit: '000.00.00.H26' }, 'test');
    const other = await issueCertificate(ctx, { kind: 'client', cn: 'QLCB-A-HN', unit: '000.00.00.H03' }, 'test');

    const bySerial = await createKey(ctx, { softwareId: 'QLCB-A-HN', unitCode: '000.00.00.H26', vendor: 'vendor-a-asmx', certSerial: mine.serial }, 'test');
    const bySubject = await createKey(ctx, { softwareId: 'QLCB-A-HN', unitCode: '000.00.00.H26', vendor: 'vendor-a-asmx', certSubject: mine.subject }, 'test');
    const byCnAndUnit = await createKey(ctx, { softwareId: 'QLCB-A-HN', unitCode: '000.00.00.H26', vendor: 'vendor-a-asmx', certSubject: 'OU=000.00.00.H26, CN=QLCB-A-HN' }, 'test');
    const validator = await createKeyValidator(ctx);

    // The server answers with the key check's verdict for the key in X-Connection-Key.
    const server = https.createServer({ key: material.key, cert: material.cert, ca: material.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const peer = peerOf(req.socket as TLSSocket) as Peer;
      try {
        const identity = validator.validate({ key: String(req.headers['x-connection-key']) }, peer, { front: 'vendor-a-asmx', operation: 'submitProfiles' });
        res.end(JSON.stringify({ ok: identity.keyId, peerSerial: peer.serial }));
      } catch (err) {
        res.end(JSON.stringify({ code: (err as GatewayError).code, reason: (err as GatewayError).internalReason }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const call = (cert: typeof mine, key: string) =>
      new Promise<Record<string, string>>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port, path: '/', method: 'GET', cert: cert.certPem, key: cert.keyPem, ca: material.ca, servername: 'localhost', headers: { 'x-connection-key': key }, agent: false },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve(JSON.parse(body)));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      const ok = await call(mine, bySerial.connectionKey);
      expect(ok).toEqual({ ok: bySerial.keyId, peerSerial: mine.serial });
      expect(await call(mine, bySubject.connectionKey)).toMatchObject({ ok: bySubject.keyId });
      expect(await call(mine, byCnAndUnit.connectionKey)).toMatchObject({ ok: byCnAndUnit.keyId });
      for (const key of [bySerial, bySubject, byCnAndUnit]) {
        expect(await call(other, key.connectionKey)).toEqual({ code: 'KHOA_KET_NOI_KHONG_HOP_LE', reason: 'cert_mismatch' });
      }
    } finally {
      await new Promise((r) => server.close(r));
      await validator.stop();
    }
  });
});
