/**
 * The certificates admin module behind the real admin plane (gateway/admin/server.ts) over
 * real mutual TLS: admins authenticate with certificates issued here, their role comes from
 * the registry, and a revoked admin certificate stops working without restart.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { cleanup, tempDir, testContext } from './helpers/env.js';
import type { AppContext } from '../core/context.js';
import { startAdminPlane, type AdminPlane } from '../gateway/admin/server.js';
import { certsAdminModule } from '../certs/admin.js';
import { initPki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { serverTlsMaterial } from '../certs/material.js';
import { createCertWatcher, type CertWatcher } from '../certs/watch.js';
import type { IssuedCertificate } from '../certs/types.js';
import { x509 } from '../certs/x509.js';

const UNIT = '000.00.00.H29';
let ctx: AppContext;
let plane: AdminPlane;
let watcher: CertWatcher;
let ca: string[];
let netAdmin: IssuedCertificate;
let auditor: IssuedCertificate;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): any;
}

function call(who: IssuedCertificate | undefined, method: string, urlPath: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = https.request(
      {
        host: '127.0.0.1',
        port: plane.port,
        method,
        path: urlPath,
        ca,
        servername: 'localhost',
        key: who?.keyPem,
        cert: who?.certPem,
        agent: false,
        headers: payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, json: () => JSON.parse(buf.toString('utf8')) });
        });
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

beforeAll(async () => {
  ctx = await testContext('sqlite');
  await initPki(ctx);
  watcher = await createCertWatcher(ctx);
  const material = () => serverTlsMaterial(ctx, 'admin');
  ca = (await material()).ca;
  plane = await startAdminPlane(ctx, {
    tlsMaterial: material,
    certs: watcher,
    modules: [certsAdminModule],
    readiness: [],
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    onCertChange: (cb) => watcher.onChange(cb),
  });
  netAdmin = await issueCertificate(ctx, { kind: 'admin', cn: 'le.van.c', role: 'network-admin' }, 'test');
  auditor = await issueCertificate(ctx, { kind: 'admin', cn: 'pham.thi.d', role: 'auditor' }, 'test');
  await watcher.refresh();
}, 120_000);

afterAll(async () => {
  watcher?.stop();
  await plane?.close();
  await cleanup();
});

describe('certs admin module', () => {
  it('is described in /openapi.json', async () => {
    const doc = (await call(undefined, 'GET', '/openapi.json')).json();
    for (const p of ['/api/v1/admin/certs', '/api/v1/admin/certs/{serial}/revoke', '/api/v1/admin/certs/crl', '/api/v1/admin/certs/sign-csr', '/api/v1/admin/certs/trust-anchors']) {
      expect(doc.paths[p], p).toBeDefined();
    }
  });

  it('network-admin issues a client certificate: PEM and key once, no-store', async () => {
    const r = await call(netAdmin, 'POST', '/api/v1/admin/certs', { kind: 'client', cn: 'vendor-c-xml', unit: UNIT, days: 30, p12Password: 'abcd1234' });
    expect(r.status).toBe(201);
    expect(r.headers['cache-control']).toBe('no-store');
    const b = r.json();
    expect(b.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(new X509Certificate(b.certPem).checkPrivateKey((await import('node:crypto')).createPrivateKey(b.keyPem))).toBe(true);
    expect(b.p12Base64.length).toBeGreaterThan(1000);
    const shown = (await call(auditor, 'GET', `/api/v1/admin/certs/${b.serial}`)).json();
    expect(shown).toMatchObject({ serial: b.serial, kind: 'client', unit: UNIT, state: 'active', createdBy: 'CN=le.van.c,OU=network-admin,O=ndxp-gateway' });
    expect(shown.keyPem).toBeUndefined();
  });

  it('auditor reads but cannot issue or revoke; no certificate, no API', async () => {
    expect((await call(auditor, 'GET', '/api/v1/admin/certs')).status).toBe(200);
    expect((await call(auditor, 'POST', '/api/v1/admin/certs', { kind: 'client', cn: 'x', unit: UNIT })).status).toBe(403);
    expect((await call(auditor, 'POST', `/api/v1/admin/certs/${netAdmin.serial}/revoke`, { reason: 'keyCompromise' })).status).toBe(403);
    expect((await call(undefined, 'GET', '/api/v1/admin/certs')).status).toBe(401);
  });

  it('bad requests get a JSON problem with a machine code', async () => {
    const bad = await call(netAdmin, 'POST', '/api/v1/admin/certs', { kind: 'client', cn: 'x', unit: 'bad unit' });
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'MA_DON_VI_KHONG_HOP_LE', status: 400 });
    const missing = await call(netAdmin, 'POST', '/api/v1/admin/certs/ABCDEF/revoke', { reason: 'keyCompromise' });
    expect(missing.status).toBe(404);
    expect(missing.json().code).toBe('CHUNG_THU_KHONG_TON_TAI');
  });

  it('signs a CSR posted as application/pkcs10', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'r.csr'), '-subj', '/CN=vendor-a-asmx'], { stdio: 'pipe' });
    const r = await call(netAdmin, 'POST', `/api/v1/admin/certs/sign-csr?unit=${UNIT}`, readFileSync(path.join(dir, 'r.csr'), 'utf8'), 'application/pkcs10');
    expect(r.status).toBe(201);
    expect(r.json().subject).toBe(`CN=vendor-a-asmx,OU=${UNIT},O=ndxp-gateway`);
  });

  it('revokes; the CRL (PEM and DER) lists it; a revoked admin certificate is locked out without restart', async () => {
    const victim = await issueCertificate(ctx, { kind: 'admin', cn: 'roi.di', role: 'network-admin' }, 'test');
    await watcher.refresh();
    expect((await call(victim, 'GET', '/api/v1/admin/whoami')).status).toBe(200);
    const r = await call(netAdmin, 'POST', `/api/v1/admin/certs/${victim.serial}/revoke`, { reason: 'affiliationChanged' });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ serial: victim.serial, reason: 'affiliationChanged' });
    await watcher.refresh();
    expect((await call(victim, 'GET', '/api/v1/admin/whoami')).status).toBe(401);
    const pem = await call(auditor, 'GET', '/api/v1/admin/certs/crl');
    expect(pem.headers['content-type']).toContain('application/x-pem-file');
    expect(pem.body.toString()).toContain('BEGIN X509 CRL');
    const der = await call(auditor, 'GET', '/api/v1/admin/certs/crl?format=der');
    expect(der.headers['content-type']).toContain('application/pkix-crl');
    expect(new x509.X509Crl(der.body).findRevoked(victim.serial)).not.toBeNull();
  });

  it('trust anchors: add (validated), list, remove', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k'), '-out', path.join(dir, 'ca.pem'), '-days', '90', '-subj', '/CN=CA Bo/O=BNV', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'pipe' });
    const added = await call(netAdmin, 'POST', '/api/v1/admin/certs/trust-anchors', { pem: readFileSync(path.join(dir, 'ca.pem'), 'utf8') });
    expect(added.status).toBe(201);
    const fp = added.json().added[0].fingerprintSha256;
    expect((await call(auditor, 'GET', '/api/v1/admin/certs/trust-anchors')).json().trustAnchors.map((a: any) => a.fingerprintSha256)).toContain(fp);
    const notCa = await call(netAdmin, 'POST', '/api/v1/admin/certs/trust-anchors', { pem: netAdmin.certPem });
    expect(notCa.status).toBe(400);
    expect(notCa.json().code).toBe('KHONG_PHAI_CA');
    expect((await call(netAdmin, 'DELETE', `/api/v1/admin/certs/trust-anchors/${fp}`)).status).toBe(200);
    expect((await call(netAdmin, 'DELETE', `/api/v1/admin/certs/trust-anchors/${fp}`)).status).toBe(404);
  });
});
