/**
 * `ndxp certs …` in-process, on both stores: what operators and runbooks see with --json, the
 * files written, and bad usage refused. The program is assembled like gateway/cli/main.ts does
 * (global --config, --json on every verb, exitOverride) but with only this area registered, so
 * the test does not depend on every other area's CLI compiling at the moment.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import tls from 'node:tls';
import { Command, CommanderError } from 'commander';
import { STORE_KINDS, cleanup, tempDir, testConfig } from './helpers/env.js';
import { register } from '../certs/cli.js';
import { cliHost } from '../gateway/cli/verbs.js';
import { UsageError } from '../core/cli-output.js';
import { x509 } from '../certs/x509.js';

afterAll(cleanup);

function buildProgram(): Command {
  const program = new Command('ndxp').option('--config <file>').exitOverride().configureOutput({ writeErr: () => undefined });
  register(program, cliHost);
  const addCommon = (cmd: Command) => {
    for (const sub of cmd.commands) {
      if (sub.commands.length === 0) {
        if (!sub.options.some((o) => o.long === '--json')) sub.option('--json');
        if (!sub.options.some((o) => o.long === '--config')) sub.option('--config <file>');
      }
      sub.exitOverride().configureOutput({ writeErr: () => undefined });
      addCommon(sub);
    }
  };
  addCommon(program);
  return program;
}

const UNIT = '000.00.00.H29';

describe.each(STORE_KINDS)('ndxp certs on %s', (kind) => {
  let configFile: string;
  let out: string;

  /** Runs one CLI invocation and returns its parsed --json output. */
  async function cli(...args: string[]): Promise<any> {
    let stdout = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    });
    try {
      await buildProgram().parseAsync(['node', 'ndxp', ...args, '--config', configFile, '--json']);
    } finally {
      spy.mockRestore();
    }
    return JSON.parse(stdout);
  }

  beforeAll(() => {
    const config = testConfig(kind);
    configFile = path.join(tempDir(), 'ndxp.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, databaseSchema: config.databaseSchema, redisUrl: config.redisUrl, redisPrefix: config.redisPrefix }));
    out = tempDir();
  });

  it('init creates the CA once', async () => {
    const first = await cli('certs', 'init');
    expect(first).toMatchObject({ created: true, serverNames: expect.arrayContaining(['127.0.0.1']) });
    expect(existsSync(first.files.caChain)).toBe(true);
    const second = await cli('certs', 'init');
    expect(second).toMatchObject({ created: false, rootSerial: first.rootSerial, issuingSerial: first.issuingSerial });
  }, 60_000);

  it('issue --out --p12 prints {serial, subject, notAfter, certFile, keyFile, caFile, p12File}', async () => {
    const r = await cli('certs', 'issue', '--cn', 'vendor-a-qlcb', '--unit', UNIT, '--days', '400', '--out', out, '--p12', '--password', 'matkhau123');
    expect(Object.keys(r).sort()).toEqual(['caFile', 'certFile', 'keyFile', 'notAfter', 'p12File', 'serial', 'subject']);
    expect(r.subject).toBe(`CN=vendor-a-qlcb,OU=${UNIT},O=ndxp-gateway`);
    const cert = new X509Certificate(readFileSync(r.certFile));
    expect(cert.serialNumber).toBe(r.serial);
    expect(new Date(r.notAfter).getTime()).toBe(Date.parse(cert.validTo));
    expect(Math.round((Date.parse(r.notAfter) - Date.now()) / 86_400_000)).toBe(400);
    expect(statSync(r.keyFile).mode & 0o777).toBe(0o600);
    expect(() => tls.createSecureContext({ pfx: readFileSync(r.p12File), passphrase: 'matkhau123' })).not.toThrow();
  }, 60_000);

  it('issue-admin and issue-signing', async () => {
    const admin = await cli('certs', 'issue-admin', '--cn', 'tran.thi.b', '--role', 'network-admin', '--out', out);
    expect(admin.subject).toBe('CN=tran.thi.b,OU=network-admin,O=ndxp-gateway');
    const signing = await cli('certs', 'issue-signing', '--unit', 'H29.12');
    expect(signing).toMatchObject({ unit: 'H29.12', subject: 'CN=ky-so H29.12,OU=H29.12,O=ndxp-gateway' });
    expect(signing.keyFile).toBeUndefined();
  }, 60_000);

  it('sign-csr takes the unit from the CSR OU when it is a unit code', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'r.csr'), '-subj', `/CN=vendor-b-hrm/OU=${UNIT}`], { stdio: 'pipe' });
    const r = await cli('certs', 'sign-csr', path.join(dir, 'r.csr'), '--out', path.join(dir, 'signed.pem'));
    expect(r.subject).toBe(`CN=vendor-b-hrm,OU=${UNIT},O=ndxp-gateway`);
    expect(readFileSync(r.certFile, 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
  }, 60_000);

  it('revoke, list (state, days left, expiry warning), crl as PEM and DER', async () => {
    const soon = await cli('certs', 'issue', '--cn', 'sap-het-han', '--unit', UNIT, '--days', '10', '--out', out);
    const doomed = await cli('certs', 'issue', '--cn', 'bi-thu-hoi', '--unit', UNIT, '--out', out);
    const revoked = await cli('certs', 'revoke', doomed.serial, '--reason', 'keyCompromise');
    expect(revoked).toMatchObject({ serial: doomed.serial, status: 'revoked', reason: 'keyCompromise', alreadyRevoked: false });

    const list = await cli('certs', 'list');
    const bySerial = new Map<string, any>(list.certificates.map((c: any) => [c.serial, c]));
    expect(bySerial.get(doomed.serial)).toMatchObject({ state: 'revoked', revocationReason: 'keyCompromise' });
    expect(bySerial.get(soon.serial)).toMatchObject({ state: 'active', expiryWarning: true });
    expect(bySerial.get(soon.serial).daysLeft).toBeGreaterThanOrEqual(9);
    expect(list.warnings).toContainEqual(expect.objectContaining({ serial: soon.serial, code: 'SAP_HET_HAN' }));
    expect(list.expiryWarningDays).toBe(30);
    const onlyRevoked = await cli('certs', 'list', '--status', 'revoked', '--kind', 'client');
    expect(onlyRevoked.certificates.map((c: any) => c.serial)).toEqual([doomed.serial]);

    const dir = tempDir();
    const pem = await cli('certs', 'crl', '--out', path.join(dir, 'ndxp.crl.pem'));
    expect(pem).toMatchObject({ format: 'pem', revokedCount: 1 });
    expect(readFileSync(pem.file, 'utf8')).toContain('BEGIN X509 CRL');
    const der = await cli('certs', 'crl', '--out', path.join(dir, 'ndxp.crl'));
    expect(der.format).toBe('der');
    const crl = new x509.X509Crl(readFileSync(der.file));
    expect(crl.findRevoked(doomed.serial)).not.toBeNull();
  }, 60_000);

  it('trust add / list', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'ca.pem'), '-days', '365', '-subj', '/CN=CA Nen tang quoc gia', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'pipe' });
    const added = await cli('certs', 'trust', 'add', path.join(dir, 'ca.pem'));
    expect(added.added).toHaveLength(1);
    const list = await cli('certs', 'trust', 'list');
    expect(list.trustAnchors.map((a: any) => a.subject)).toContain('CN=CA Nen tang quoc gia');
    expect(list.trustAnchors[0].pem).toBeUndefined();
  }, 60_000);

  it('bad usage is refused (exit 2 class errors)', async () => {
    await expect(cli('certs', 'issue', '--cn', 'x', '--unit', UNIT)).rejects.toBeInstanceOf(CommanderError); // --out missing
    await expect(cli('certs', 'issue', '--cn', 'x', '--unit', UNIT, '--out', out, '--p12')).rejects.toBeInstanceOf(UsageError);
    await expect(cli('certs', 'issue', '--cn', 'x', '--unit', 'not a unit', '--out', out)).rejects.toBeInstanceOf(UsageError);
    await expect(cli('certs', 'revoke', 'ABC123', '--reason', 'whatever')).rejects.toBeInstanceOf(UsageError);
    await expect(cli('certs', 'issue-admin', '--cn', 'x', '--role', 'superuser', '--out', out)).rejects.toBeInstanceOf(UsageError);
  }, 60_000);
});
