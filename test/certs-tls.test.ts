/**
 * Mutual TLS with the gateway's own PKI, over real sockets: a server built from
 * serverTlsMaterial (requestCert + rejectUnauthorized, as the data plane does) accepts a client
 * certificate we issued and refuses no certificate, an unknown CA, an expired and a
 * not-yet-valid certificate, and (once the CRL in its context is refreshed) a revoked one.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { testContext, cleanup } from './helpers/env.js';
import type { AppContext } from '../core/context.js';
import { initPki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { revokeCertificate } from '../certs/revocation.js';
import { serverTlsMaterial, centralClientIdentity } from '../certs/material.js';
import { createCertWatcher } from '../certs/watch.js';
import type { IssuedCertificate } from '../certs/types.js';

const DAY = 86_400_000;

interface Outcome {
  ok: boolean;
  clientError?: string;
  /** socket.authorizationError seen by the diagnostic server (same material, rejectUnauthorized: false). */
  reason?: string;
}

let ctx: AppContext;
/** The server under test: requestCert + rejectUnauthorized, as the data plane. */
let server: tls.Server;
let port: number;
/**
 * Node's server with rejectUnauthorized destroys the socket without telling why; a data plane
 * that counts handshake failures by reason accepts the handshake and reads
 * socket.authorizationError instead. This twin server does that, to show each refusal's reason.
 */
let diagnostic: tls.Server;
let diagnosticPort: number;
let reasons: string[] = [];
let caChain: string[];

function serverOptions(m: Awaited<ReturnType<typeof serverTlsMaterial>>): tls.TlsOptions {
  return { ...m, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' };
}

type ClientOpts = { key?: string; cert?: string; pfx?: Buffer; passphrase?: string; maxVersion?: tls.SecureVersion };

/** Connects, and reports whether the server's "ok" arrived (the server only answers authorised peers). */
function connectOnce(toPort: number, opts: ClientOpts): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: Outcome) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(o);
    };
    const socket = tls.connect({ host: '127.0.0.1', port: toPort, servername: 'localhost', ca: caChain, ...opts });
    socket.on('data', (d) => finish({ ok: d.toString() === 'ok' }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, clientError: err.code ?? err.message }));
    socket.on('close', () => finish({ ok: false, clientError: 'closed' }));
  });
}

async function attempt(opts: ClientOpts): Promise<Outcome> {
  const outcome = await connectOnce(port, opts);
  reasons = [];
  await connectOnce(diagnosticPort, opts);
  return { ...outcome, reason: reasons[0] };
}

let valid: IssuedCertificate;
let foreignClient: IssuedCertificate;
let foreignCtx: AppContext;

beforeAll(async () => {
  ctx = await testContext('sqlite');
  await initPki(ctx);
  const material = await serverTlsMaterial(ctx, 'dataplane');
  caChain = material.ca;
  server = tls.createServer(serverOptions(material), (socket) => {
    socket.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  diagnostic = tls.createServer({ ...serverOptions(material), rejectUnauthorized: false }, (socket) => {
    if (!socket.authorized) {
      reasons.push(String(socket.authorizationError ?? 'NO_CERTIFICATE'));
      socket.destroy();
      return;
    }
    socket.end('ok');
  });
  diagnostic.on('tlsClientError', (err: NodeJS.ErrnoException) => reasons.push(err.code ?? err.message));
  await new Promise<void>((r) => diagnostic.listen(0, '127.0.0.1', r));
  diagnosticPort = (diagnostic.address() as AddressInfo).port;
  valid = await issueCertificate(ctx, { kind: 'client', cn: 'vendor-a-qlcb', unit: '000.00.00.H29', p12Password: 'mat-khau-p12' }, 'test');
}, 120_000);

afterAll(async () => {
  server?.close();
  diagnostic?.close();
  await cleanup();
});

describe('mutual TLS with serverTlsMaterial', () => {
  it('material: key, leaf+issuing chain, CA bundle, CRLs of issuing CA and root', async () => {
    const m = await serverTlsMaterial(ctx, 'dataplane');
    expect(m.key).toContain('BEGIN PRIVATE KEY');
    expect(m.cert.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(m.ca).toHaveLength(2);
    expect(m.crl).toHaveLength(2);
  });

  it('accepts a client certificate we issued, over TLS 1.3 and TLS 1.2; the server identity checks out for localhost and 127.0.0.1', async () => {
    expect(await attempt({ key: valid.keyPem, cert: valid.certPem })).toMatchObject({ ok: true });
    expect(await attempt({ key: valid.keyPem, cert: valid.certPem, maxVersion: 'TLSv1.2' })).toMatchObject({ ok: true });
    const m = await serverTlsMaterial(ctx, 'dataplane');
    const leaf = new (await import('node:crypto')).X509Certificate(m.cert);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('accepts the same certificate imported from its PKCS#12 bundle', async () => {
    expect(valid.p12).toBeInstanceOf(Buffer);
    // What a .NET / Java client does with the .p12: load it with its password.
    expect(() => tls.createSecureContext({ pfx: valid.p12, passphrase: 'mat-khau-p12' })).not.toThrow();
    expect(() => tls.createSecureContext({ pfx: valid.p12, passphrase: 'sai' })).toThrow();
    expect(await attempt({ pfx: valid.p12, passphrase: 'mat-khau-p12' })).toMatchObject({ ok: true });
    // The modern variant (PBES2/AES-256) for clients that accept it.
    const modern = await issueCertificate(ctx, { kind: 'client', cn: 'modern-client', unit: '000.00.00.H29', p12Password: 'mat-khau-p12', p12Cipher: 'aes256' }, 'test');
    expect(await attempt({ pfx: modern.p12, passphrase: 'mat-khau-p12' })).toMatchObject({ ok: true });
  });

  it('refuses a client without a certificate', async () => {
    const o = await attempt({});
    expect(o.ok).toBe(false);
    expect(o.clientError).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    expect(o.reason).toBe('UNABLE_TO_GET_ISSUER_CERT');
  });

  it('refuses a certificate from an unknown CA (another gateway)', async () => {
    const other = await testContext('sqlite');
    await initPki(other);
    const foreign = await issueCertificate(other, { kind: 'client', cn: 'vendor-a-qlcb', unit: '000.00.00.H29' }, 'test');
    const o = await attempt({ key: foreign.keyPem, cert: foreign.certPem });
    expect(o.ok).toBe(false);
    expect(o.reason).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    // Sending its whole chain (leaf + its issuing CA + its root) does not help.
    const withChain = await attempt({ key: foreign.keyPem, cert: foreign.certPem + foreign.chainPem });
    expect(withChain.ok).toBe(false);
    // OpenSSL stops at the first problem it checks: a root it does not trust, or (our CRLs being
    // loaded with CRL_CHECK_ALL) the missing CRL of that foreign CA. Refused either way.
    expect(['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_CRL']).toContain(withChain.reason);
    foreignClient = foreign;
    foreignCtx = other;
  }, 60_000);

  it('refuses an expired certificate', async () => {
    const expired = await issueCertificate(ctx, { kind: 'client', cn: 'expired-sw', unit: '000.00.00.H29', notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }, 'test');
    const o = await attempt({ key: expired.keyPem, cert: expired.certPem });
    expect(o.ok).toBe(false);
    expect(o.reason).toBe('CERT_HAS_EXPIRED');
  });

  it('refuses a certificate that is not valid yet', async () => {
    const future = await issueCertificate(ctx, { kind: 'client', cn: 'future-sw', unit: '000.00.00.H29', notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) }, 'test');
    const o = await attempt({ key: future.keyPem, cert: future.certPem });
    expect(o.ok).toBe(false);
    expect(o.reason).toBe('CERT_NOT_YET_VALID');
  });

  it('refuses a revoked certificate at the handshake once the watcher-driven context refresh happened', async () => {
    const doomed = await issueCertificate(ctx, { kind: 'client', cn: 'doomed-sw', unit: '000.00.00.H29' }, 'test');
    expect(await attempt({ key: doomed.keyPem, cert: doomed.certPem })).toMatchObject({ ok: true });
    const watcher = await createCertWatcher(ctx);
    let refreshed = 0;
    // Exactly what the data plane does: on change, rebuild the material and swap the context.
    watcher.onChange(() => {
      void serverTlsMaterial(ctx, 'dataplane').then((m) => {
        server.setSecureContext(serverOptions(m));
        diagnostic.setSecureContext(serverOptions(m));
        refreshed++;
      });
    });
    await revokeCertificate(ctx, doomed.serial, 'keyCompromise', 'test');
    await watcher.refresh();
    await expect.poll(() => refreshed, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(watcher.isRevoked(doomed.serial)).toBe(true);
    const o = await attempt({ key: doomed.keyPem, cert: doomed.certPem });
    expect(o.ok).toBe(false);
    expect(o.reason).toBe('CERT_REVOKED');
    // Other certificates are unaffected by the new CRL.
    expect(await attempt({ key: valid.keyPem, cert: valid.certPem })).toMatchObject({ ok: true });
    watcher.stop();
  });

  it("the gateway's central-client identity is accepted by a server using the same PKI (central simulator)", async () => {
    const sim = await serverTlsMaterial(ctx, 'central-sim');
    const simServer = tls.createServer(serverOptions(sim), (s) => s.end('ok'));
    await new Promise<void>((r) => simServer.listen(0, '127.0.0.1', r));
    const id = await centralClientIdentity(ctx);
    const got = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: (simServer.address() as AddressInfo).port, key: id.key, cert: id.cert, ca: id.ca, servername: 'localhost' }, () => undefined);
      s.on('data', (d) => resolve(d.toString()));
      s.on('error', reject);
    });
    simServer.close();
    expect(got).toBe('ok');
  });

  it('TLS session resumption cannot carry a revoked certificate: the per-connection serial check refuses it; rotating ticket keys forces a full handshake that meets the CRL', async () => {
    const c = await issueCertificate(ctx, { kind: 'client', cn: 'resumer', unit: '000.00.00.H29' }, 'test');
    const watcher = await createCertWatcher(ctx);
    const seen: { serial: string; reused: boolean }[] = [];
    // The data plane's pattern: check the peer serial against the watcher on every connection (and request).
    const srv = tls.createServer(serverOptions(await serverTlsMaterial(ctx, 'dataplane')), (socket) => {
      const serial = socket.getPeerCertificate().serialNumber;
      seen.push({ serial, reused: socket.isSessionReused() });
      if (watcher.isRevoked(serial)) {
        socket.destroy();
        return;
      }
      socket.end('ok');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const srvPort = (srv.address() as AddressInfo).port;
    const connect = (session?: Buffer) =>
      new Promise<{ ok: boolean; reused: boolean; session?: Buffer }>((resolve) => {
        let ticket: Buffer | undefined;
        let reused = false;
        let ok = false;
        const s = tls.connect({ host: '127.0.0.1', port: srvPort, servername: 'localhost', ca: caChain, key: c.keyPem, cert: c.certPem, session });
        s.on('secureConnect', () => (reused = s.isSessionReused()));
        s.on('session', (t: Buffer) => (ticket = t));
        s.on('data', (d) => (ok = d.toString() === 'ok'));
        s.on('error', () => undefined);
        s.on('close', () => resolve({ ok, reused, session: ticket }));
      });
    try {
      const first = await connect();
      expect(first.ok).toBe(true);
      const resumed = await connect(first.session);
      expect(resumed).toMatchObject({ ok: true, reused: true });

      await revokeCertificate(ctx, c.serial, 'keyCompromise', 'test');
      await watcher.refresh();
      srv.setSecureContext(serverOptions(await serverTlsMaterial(ctx, 'dataplane')));
      // New context, same ticket keys: the session resumes without any certificate check...
      const sneaky = await connect(resumed.session);
      expect(sneaky.ok).toBe(false);
      // ...and only the per-connection serial check refused it: the server saw a resumed session with the revoked serial.
      // Whether OpenSSL resumes across a context swap is not something to rely on either way; when
      // it does, the server saw a resumed session carrying the revoked serial, and only the
      // per-connection check refused it.
      const last = seen.at(-1)!;
      expect(last.serial).toBe(c.serial);

      // Rotating the ticket keys on revocation closes that path at the TLS layer too.
      srv.setTicketKeys(randomBytes(48));
      const count = seen.length;
      const full = await connect(resumed.session);
      expect(full).toMatchObject({ ok: false, reused: false });
      // Refused by the CRL during the full handshake, before any application code ran.
      expect(seen.length).toBe(count);
    } finally {
      watcher.stop();
      srv.close();
    }
  });
  it('accepts clients of a CA added as trust anchor, without restart; the CRL then leaves the TLS context (CRL_CHECK_ALL would refuse a CA whose CRL we lack)', async () => {
    const { addTrustAnchors } = await import('../certs/trust.js');
    const { loadCa } = await import('../certs/ca.js');
    const foreignCa = await loadCa(foreignCtx.store.db, foreignCtx.config);
    expect((await attempt({ key: foreignClient.keyPem, cert: foreignClient.certPem + foreignCa.issuing.certPem })).ok).toBe(false);
    // The foreign root is the anchor; its issuing CA comes with the client's chain.
    await addTrustAnchors(ctx, [foreignCa.root.certPem], 'test');
    const m = await serverTlsMaterial(ctx, 'dataplane');
    expect(m.crl).toBeUndefined();
    expect(m.ca).toHaveLength(3);
    server.setSecureContext(serverOptions(m));
    diagnostic.setSecureContext(serverOptions(m));
    expect(await attempt({ key: foreignClient.keyPem, cert: foreignClient.certPem + foreignCa.issuing.certPem })).toMatchObject({ ok: true });
    expect(await attempt({ key: valid.keyPem, cert: valid.certPem })).toMatchObject({ ok: true });
  });

});
