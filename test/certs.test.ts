/**
 * The private CA on both stores, with real crypto: chain building, serial spelling, keys at
 * rest, revocation seen by a second instance's watcher, CRL contents, CSR signing, trust
 * anchors, signing identities, audit records of admin actions.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createSign, createVerify } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { STORE_KINDS, cleanup, tempDir, testConfig, testContext } from './helpers/env.js';
import type { AppContext } from '../core/context.js';
import { openContext, closeContext } from '../gateway/context.js';
import { quietLogger } from '../core/log.js';
import { GatewayError } from '../core/errors.js';
import { initPki, ensurePki, ensureServerIdentity } from '../certs/pki.js';
import { issueCertificate, signCsr } from '../certs/issue.js';
import { revokeCertificate, currentCrl } from '../certs/revocation.js';
import { createCertWatcher } from '../certs/watch.js';
import { signingIdentity, auditSigningIdentity, serverTlsMaterial } from '../certs/material.js';
import { createUnitSigner } from '../certs/signer.js';
import { addTrustAnchors, listTrustAnchors } from '../certs/trust.js';
import { newSerial, normalizeSerial } from '../core/serial.js';
import { loadCa } from '../certs/ca.js';
import { MasterKeyError, masterKeyFile } from '../core/secrets.js';
import { x509 } from '../certs/x509.js';
import type { Config } from '../config/config.js';

afterAll(cleanup);

const UNIT = '000.00.00.H29';

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('serial numbers', () => {
  it('new serials are 16 bytes, positive, without leading zero, and round-trip through Node', () => {
    for (let i = 0; i < 500; i++) {
      const s = newSerial();
      expect(s).toMatch(/^[1-7][0-9A-F]{31}$/);
      expect(normalizeSerial(s)).toBe(s);
    }
  });
  it('normalises every spelling to what getPeerCertificate().serialNumber gives', () => {
    expect(normalizeSerial('0a:1b:2C')).toBe('A1B2C');
    expect(normalizeSerial(' 0x00ab ')).toBe('AB');
    expect(normalizeSerial('000')).toBe('0');
    expect(normalizeSerial('not-hex')).toBe('');
  });
});

describe.each(STORE_KINDS)('certificates on %s', (kind) => {
  let ctx: AppContext;
  let config: Config;

  beforeAll(async () => {
    config = testConfig(kind, { keys: { refreshIntervalMs: 200 } });
    ctx = await testContext(kind, config);
    await ensurePki(ctx);
  }, 120_000);

  it('init is idempotent and builds root → issuing CA → server; openssl and Node verify the chain', async () => {
    const again = await initPki(ctx);
    expect(again.created).toBe(false);
    const ca = await loadCa(ctx.store.db, ctx.config);
    expect(again.rootSerial).toBe(ca.root.serial);
    const root = new X509Certificate(ca.root.certPem);
    const issuing = new X509Certificate(ca.issuing.certPem);
    expect(root.ca && issuing.ca).toBe(true);
    expect(issuing.verify(root.publicKey)).toBe(true);
    expect(root.publicKey.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(3072);

    const client = await issueCertificate(ctx, { kind: 'client', cn: 'vendor-b-hrm', unit: UNIT }, 'test');
    const leaf = new X509Certificate(client.certPem);
    expect(leaf.verify(issuing.publicKey)).toBe(true);
    expect(leaf.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(normalizeSerial(leaf.serialNumber)).toBe(client.serial);
    expect(client.subject).toBe(`CN=vendor-b-hrm,OU=${UNIT},O=ndxp-gateway`);

    const dir = tempDir();
    writeFileSync(path.join(dir, 'root.pem'), ca.root.certPem);
    writeFileSync(path.join(dir, 'issuing.pem'), ca.issuing.certPem);
    writeFileSync(path.join(dir, 'leaf.pem'), client.certPem);
    const server = (await serverTlsMaterial(ctx, 'dataplane')).cert;
    writeFileSync(path.join(dir, 'server.pem'), server);
    expect(openssl(['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'issuing.pem'), '-purpose', 'sslclient', path.join(dir, 'leaf.pem')])).toContain('OK');
    expect(openssl(['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'issuing.pem'), '-purpose', 'sslserver', path.join(dir, 'server.pem')])).toContain('OK');
    // A client certificate is not a server certificate.
    expect(() => openssl(['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'issuing.pem'), '-purpose', 'sslserver', path.join(dir, 'leaf.pem')])).toThrow();
  });

  it('server certificate carries the configured SANs plus 127.0.0.1, and is re-issued when they change', async () => {
    const first = await ensureServerIdentity(ctx, 'dataplane');
    const san = new X509Certificate(first.certPem).subjectAltName ?? '';
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('IP Address:127.0.0.1');
    const renamed = { ...ctx, config: { ...ctx.config, tls: { ...ctx.config.tls, serverNames: ['gw.h29.gov.vn', '10.0.0.5'] } } };
    const second = await ensureServerIdentity(renamed, 'dataplane');
    expect(second.serial).not.toBe(first.serial);
    const san2 = new X509Certificate(second.certPem).subjectAltName ?? '';
    expect(san2).toContain('DNS:gw.h29.gov.vn');
    expect(san2).toContain('IP Address:10.0.0.5');
    expect(san2).toContain('IP Address:127.0.0.1');
    const old = await ctx.store.db.selectFrom('certificates').select(['status', 'revocation_reason']).where('serial', '=', first.serial).executeTakeFirstOrThrow();
    expect(old).toEqual({ status: 'revoked', revocation_reason: 'superseded' });
    // Unchanged configuration: the same certificate is kept.
    expect((await ensureServerIdentity(renamed, 'dataplane')).serial).toBe(second.serial);
    // IPv6 names are matched as addresses, not strings: no endless re-issuing.
    const v6 = { ...ctx, config: { ...ctx.config, tls: { ...ctx.config.tls, serverNames: ['gw.h29.gov.vn', '::1', 'fd00::5'] } } };
    const third = await ensureServerIdentity(v6, 'dataplane');
    expect(third.serial).not.toBe(second.serial);
    expect(new X509Certificate(third.certPem).checkIP('::1')).toBeDefined();
    expect((await ensureServerIdentity(v6, 'dataplane')).serial).toBe(third.serial);
  });

  it('validates issue requests', async () => {
    await expect(issueCertificate(ctx, { kind: 'client', cn: 'x', unit: 'h29 lower' }, 't')).rejects.toMatchObject({ code: 'MA_DON_VI_KHONG_HOP_LE' });
    await expect(issueCertificate(ctx, { kind: 'client', cn: 'x' }, 't')).rejects.toMatchObject({ code: 'THIEU_MA_DON_VI' });
    await expect(issueCertificate(ctx, { kind: 'admin', cn: 'x', role: 'root' as never }, 't')).rejects.toMatchObject({ code: 'VAI_TRO_KHONG_HOP_LE' });
    await expect(issueCertificate(ctx, { kind: 'client', cn: '', unit: UNIT }, 't')).rejects.toMatchObject({ code: 'CN_KHONG_HOP_LE' });
    await expect(issueCertificate(ctx, { kind: 'client', cn: 'x', unit: UNIT, days: 0 }, 't')).rejects.toMatchObject({ code: 'SO_NGAY_KHONG_HOP_LE' });
  });

  it('admin certificates carry their role in the store (looked up by serial) and in OU', async () => {
    const a = await issueCertificate(ctx, { kind: 'admin', cn: 'Nguyễn Văn An', role: 'auditor' }, 'test');
    expect(a.subject).toBe('CN=Nguyễn Văn An,OU=auditor,O=ndxp-gateway');
    const watcher = await createCertWatcher(ctx);
    expect(watcher.certificate(a.serial)).toMatchObject({ kind: 'admin', role: 'auditor', status: 'active', cn: 'Nguyễn Văn An' });
    // Node's spelling of the serial works as is.
    expect(watcher.certificate(new X509Certificate(a.certPem).serialNumber)?.serial).toBe(a.serial);
    watcher.stop();
  });

  it('private keys at rest are encrypted: data directory, store rows and (SQLite) the database file', async () => {
    const out = tempDir();
    const bundle = await issueCertificate(ctx, { kind: 'client', cn: 'bundle-sw', unit: UNIT, outDir: out, p12Password: 'p12-pass' }, 'test');
    await auditSigningIdentity(ctx);
    await issueCertificate(ctx, { kind: 'signing', cn: 'ky-so', unit: UNIT }, 'test');
    const plain = /BEGIN (RSA |EC )?PRIVATE KEY/;
    for (const file of walk(ctx.config.dataDir)) {
      expect(readFileSync(file).toString('latin1'), file).not.toMatch(plain);
    }
    const keys = walk(path.join(ctx.config.dataDir, 'pki')).filter((f) => f.endsWith('.key.pem'));
    expect(keys.length).toBeGreaterThanOrEqual(3);
    for (const f of keys) {
      expect(readFileSync(f, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
      expect(statSync(f).mode & 0o077).toBe(0);
    }
    const rows = await ctx.store.db.selectFrom('pki_identities').select(['name', 'key_pem']).execute();
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const r of rows) expect(r.key_pem.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----'), r.name).toBe(true);
    const certRows = await ctx.store.db.selectFrom('certificates').select('pem').execute();
    for (const r of certRows) expect(r.pem).not.toMatch(/PRIVATE KEY/);
    // The generated master key file is owner-only.
    expect(statSync(masterKeyFile(ctx.config.dataDir)).mode & 0o077).toBe(0);
    // Only the bundle the operator asked for holds a clear key, 0600.
    expect(readFileSync(bundle.keyFile!, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(statSync(bundle.keyFile!).mode & 0o777).toBe(0o600);
    expect(new X509Certificate(readFileSync(bundle.certFile!)).checkPrivateKey(createPrivateKey(readFileSync(bundle.keyFile!)))).toBe(true);
    expect(readFileSync(bundle.caFile!, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(statSync(bundle.p12File!).size).toBeGreaterThan(1000);
    // OpenSSL reads the PKCS#12 (3DES/SHA1 by default) with its password.
    expect(openssl(['pkcs12', '-in', bundle.p12File!, '-passin', 'pass:p12-pass', '-nokeys', '-clcerts'])).toContain('BEGIN CERTIFICATE');
  });

  it('a different master key cannot open the stored CA, and says so', async () => {
    const other = await openContext({ ...config, masterKey: 'x'.repeat(40) }, { log: quietLogger() });
    try {
      await expect(issueCertificate(other, { kind: 'client', cn: 'x', unit: UNIT }, 't')).rejects.toBeInstanceOf(MasterKeyError);
    } finally {
      await closeContext(other);
    }
  });

  it('revocation is seen by a second instance on the same store within one poll; the CRL lists it', async () => {
    const other = await openContext(config, { log: quietLogger() });
    const watcher = await createCertWatcher(other);
    try {
      const c = await issueCertificate(ctx, { kind: 'client', cn: 'to-revoke', unit: UNIT }, 'test');
      await watcher.refresh();
      expect(watcher.isRevoked(c.serial)).toBe(false);
      expect(watcher.certificate(c.serial)?.status).toBe('active');
      const changed = vi.fn();
      watcher.onChange(changed);
      const record = vi.spyOn(ctx.audit, 'record');
      const r = await revokeCertificate(ctx, c.serial.toLowerCase(), 'keyCompromise', 'cli:tester@host');
      expect(r).toMatchObject({ serial: c.serial, reason: 'keyCompromise', alreadyRevoked: false });
      expect(record).toHaveBeenCalledWith(expect.objectContaining({ kind: 'admin', actor: 'cli:tester@host', operation: 'certs.revoke', target: c.serial, outcome: 'ok' }));
      await watcher.refresh(); // one poll
      expect(watcher.isRevoked(c.serial)).toBe(true);
      expect(watcher.isRevoked(new X509Certificate(c.certPem).serialNumber)).toBe(true);
      expect(watcher.certificate(c.serial)).toMatchObject({ status: 'revoked', revocationReason: 'keyCompromise' });
      await vi.waitFor(() => expect(changed).toHaveBeenCalled());
      // The watcher's own CRL and the published one list the serial with its reason.
      for (const pem of [watcher.crlPem(), (await currentCrl(ctx)).pem]) {
        const crl = new x509.X509Crl(pem.replace(/X509 CRL/g, 'CRL'));
        const entry = crl.findRevoked(c.serial);
        expect(entry).not.toBeNull();
        expect(entry!.reason).toBe(x509.X509CrlReason.keyCompromise);
      }
      const dir = tempDir();
      const ca = await loadCa(ctx.store.db, ctx.config);
      writeFileSync(path.join(dir, 'crl.pem'), (await currentCrl(ctx)).pem);
      writeFileSync(path.join(dir, 'chain.pem'), ca.chainPem);
      const text = openssl(['crl', '-in', path.join(dir, 'crl.pem'), '-CAfile', path.join(dir, 'chain.pem'), '-noout', '-text'], undefined);
      expect(text).toContain(`Serial Number: ${c.serial}`);
      expect(text).toContain('Key Compromise');
      // Signed by the issuing CA.
      const verify = spawnSync('openssl', ['crl', '-in', path.join(dir, 'crl.pem'), '-CAfile', path.join(dir, 'chain.pem'), '-noout', '-verify'], { encoding: 'utf8' });
      expect(verify.status).toBe(0);
      expect(verify.stderr + verify.stdout).toContain('verify OK');
      // Revoking again changes nothing; unknown serials and reasons are refused.
      expect((await revokeCertificate(ctx, c.serial, 'superseded', 't')).alreadyRevoked).toBe(true);
      await expect(revokeCertificate(ctx, 'ABCDEF', 'keyCompromise', 't')).rejects.toMatchObject({ code: 'CHUNG_THU_KHONG_TON_TAI' });
      await expect(revokeCertificate(ctx, c.serial, 'because', 't')).rejects.toMatchObject({ code: 'LY_DO_THU_HOI_KHONG_HOP_LE' });
      await expect(revokeCertificate(ctx, ca.issuing.serial, 'keyCompromise', 't')).rejects.toMatchObject({ code: 'KHONG_THU_HOI_CA' });
    } finally {
      watcher.stop();
      await closeContext(other);
    }
  });

  it('the background poll alone delivers a revocation to another instance', async () => {
    const other = await openContext(config, { log: quietLogger() });
    const watcher = await createCertWatcher(other);
    try {
      const c = await issueCertificate(ctx, { kind: 'client', cn: 'polled', unit: UNIT }, 'test');
      await revokeCertificate(ctx, c.serial, 'cessationOfOperation', 'test');
      await vi.waitFor(() => expect(watcher.isRevoked(c.serial)).toBe(true), { timeout: 5000, interval: 50 });
    } finally {
      watcher.stop();
      await closeContext(other);
    }
  });

  it('signs a CSR generated on the client: the key never leaves it; the subject is ours, not the CSR\'s', async () => {
    const dir = tempDir();
    const keyFile = path.join(dir, 'client.key');
    const csrFile = path.join(dir, 'client.csr');
    openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csrFile, '-subj', '/CN=vendor-c-xmlpost/OU=network-admin/O=Evil']);
    const signed = await signCsr(ctx, readFileSync(csrFile, 'utf8'), { unit: UNIT, days: 90 }, 'test');
    const cert = new X509Certificate(signed.certPem);
    expect(cert.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))).toBe(true);
    expect(signed.subject).toBe(`CN=vendor-c-xmlpost,OU=${UNIT},O=ndxp-gateway`);
    expect(cert.verify(new X509Certificate((await loadCa(ctx.store.db, ctx.config)).issuing.certPem).publicKey)).toBe(true);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89);
    expect(days).toBeLessThan(91);
    // ECDSA P-256 CSRs are fine too.
    openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'ec.key'), '-out', path.join(dir, 'ec.csr'), '-subj', '/CN=ec-client']);
    expect((await signCsr(ctx, readFileSync(path.join(dir, 'ec.csr'), 'utf8'), { unit: UNIT }, 't')).subject).toContain('CN=ec-client');
    // Weak keys, broken signatures and garbage are refused.
    openssl(['req', '-new', '-newkey', 'rsa:1024', '-nodes', '-keyout', path.join(dir, 'weak.key'), '-out', path.join(dir, 'weak.csr'), '-subj', '/CN=weak']);
    await expect(signCsr(ctx, readFileSync(path.join(dir, 'weak.csr'), 'utf8'), { unit: UNIT }, 't')).rejects.toMatchObject({ code: 'KHOA_CSR_YEU' });
    await expect(signCsr(ctx, 'hello', { unit: UNIT }, 't')).rejects.toMatchObject({ code: 'CSR_KHONG_HOP_LE' });
    const der = Buffer.from(readFileSync(csrFile, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0xff; // flip a bit in the signature
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signCsr(ctx, tampered, { unit: UNIT }, 't')).rejects.toMatchObject({ code: 'CSR_KHONG_HOP_LE' });
  });

  it('trust anchors: only CA certificates; they join the watcher CA bundle', async () => {
    const leaf = await issueCertificate(ctx, { kind: 'client', cn: 'not-a-ca', unit: UNIT }, 't');
    await expect(addTrustAnchors(ctx, [leaf.certPem], 't')).rejects.toMatchObject({ code: 'KHONG_PHAI_CA' });
    const dir = tempDir();
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'm.key'), '-out', path.join(dir, 'm.pem'), '-days', '30', '-subj', '/CN=Bo Noi vu CA/O=BNV', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const pem = readFileSync(path.join(dir, 'm.pem'), 'utf8');
    const watcher = await createCertWatcher(ctx);
    const before = watcher.caBundle().length;
    const r = await addTrustAnchors(ctx, [pem], 'test');
    expect(r.added).toHaveLength(1);
    expect(r.added[0]).toMatchObject({ subject: 'CN=Bo Noi vu CA,O=BNV', selfSigned: true });
    expect((await addTrustAnchors(ctx, [pem], 'test')).alreadyPresent).toHaveLength(1);
    await watcher.refresh();
    expect(watcher.caBundle()).toHaveLength(before + 1);
    expect((await listTrustAnchors(ctx.store.db)).map((a) => a.subject)).toContain('CN=Bo Noi vu CA,O=BNV');
    watcher.stop();
  });

  it('signing identity per unit: refused until issued (naming the unit), signs ES256 (P-256), refused again once revoked', async () => {
    const unit = 'H29.12';
    const err = await signingIdentity(ctx, unit).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'CHUA_CO_CHUNG_THU_KY' });
    expect((err as Error).message).toContain(unit);
    const issued = await issueCertificate(ctx, { kind: 'signing', cn: `ky-so ${unit}`, unit }, 'test');
    const id = await signingIdentity(ctx, unit);
    expect(id.alg).toBe('ES256');
    expect(id.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const cert = new X509Certificate(Buffer.from(id.certDerBase64, 'base64'));
    expect(normalizeSerial(cert.serialNumber)).toBe(issued.serial);
    const sig = createSign('SHA256').update('hồ sơ').sign(id.privateKey);
    expect(createVerify('SHA256').update('hồ sơ').verify(cert.publicKey, sig)).toBe(true);
    await revokeCertificate(ctx, issued.serial, 'keyCompromise', 'test');
    await expect(signingIdentity(ctx, unit)).rejects.toMatchObject({ code: 'CHUA_CO_CHUNG_THU_KY' });
  });

  it('the unit signer opens an identity once, refuses a unit without one from its cache, and starts over when certificates change', async () => {
    const unit = 'H29.13';
    const listeners: (() => void)[] = [];
    const signer = createUnitSigner(ctx, { onChange: (cb) => listeners.push(cb) });
    const certificatesChanged = () => listeners.forEach((cb) => cb());
    await expect(signer(unit)).rejects.toMatchObject({ code: 'CHUA_CO_CHUNG_THU_KY' });
    const issued = await issueCertificate(ctx, { kind: 'signing', cn: `ky-so ${unit}`, unit }, 'test');
    // Within a moment the refusal is still the cached answer (a batch looks the unit up once) …
    await expect(signer(unit)).rejects.toMatchObject({ code: 'CHUA_CO_CHUNG_THU_KY' });
    // … and a certificate change is seen at once.
    certificatesChanged();
    const first = await signer(unit);
    expect(first.serial).toBe(issued.serial);
    expect(await signer(unit)).toBe(first);
    const reissued = await issueCertificate(ctx, { kind: 'signing', cn: `ky-so ${unit}`, unit }, 'test');
    expect(await signer(unit)).toBe(first);
    certificatesChanged();
    expect((await signer(unit)).serial).toBe(reissued.serial);
  });

  it('audit signing identity is created once and reused', async () => {
    const a = await auditSigningIdentity(ctx);
    const b = await auditSigningIdentity(ctx);
    expect(a.serial).toBe(b.serial);
    expect(a.privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('expiring certificates are flagged by the watcher', async () => {
    const soon = await issueCertificate(ctx, { kind: 'client', cn: 'soon', unit: UNIT, notAfter: new Date(Date.now() + 5 * 86_400_000) }, 't');
    const watcher = await createCertWatcher(ctx);
    expect(watcher.expiringSoon().map((e) => e.serial)).toContain(soon.serial);
    expect(watcher.expiringSoon().find((e) => e.serial === soon.serial)?.daysLeft).toBe(4);
    watcher.stop();
  });
});

describe('two instances starting together on one PostgreSQL store', () => {
  it('create exactly one CA and one data-plane certificate', async () => {
    const config = testConfig('postgres');
    const a = await testContext('postgres', config);
    const b = await openContext(config, { log: quietLogger() });
    try {
      await Promise.all([ensurePki(a), ensurePki(b)]);
      const [ca1, ca2] = [await loadCa(a.store.db, a.config), await loadCa(b.store.db, b.config)];
      expect(ca1.root.serial).toBe(ca2.root.serial);
      const rows = await a.store.db.selectFrom('certificates').select(['kind', 'status']).execute();
      expect(rows.filter((r) => r.kind === 'ca')).toHaveLength(2);
      expect(rows.filter((r) => r.kind === 'server' && r.status === 'active')).toHaveLength(1);
      expect(rows.filter((r) => r.kind === 'central-client' && r.status === 'active')).toHaveLength(1);
      // Both serve the same server certificate.
      expect((await serverTlsMaterial(a, 'dataplane')).cert).toBe((await serverTlsMaterial(b, 'dataplane')).cert);
    } finally {
      await closeContext(b);
    }
  }, 120_000);
});

describe('material before any init', () => {
  it('creates the PKI on first use, as the first start would', async () => {
    const fresh = await testContext('sqlite');
    const id = await auditSigningIdentity(fresh);
    const ca = await loadCa(fresh.store.db, fresh.config);
    expect(new X509Certificate(id.certPem).verify(new X509Certificate(ca.issuing.certPem).publicKey)).toBe(true);
  }, 60_000);
});
