/**
 * The first network-admin credential `ndxp start` hands over on a fresh data directory (issue 15):
 * no private key in clear anywhere under the data directory (the admin's, the CA's, the servers'),
 * the credential is a password-protected PKCS#12 (and an encrypted PKCS#8 PEM key) whose password
 * sits in an owner-only file the start banner names and is never printed, and that PKCS#12 works
 * as an admin client certificate on the real admin plane.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { REPO, cleanup, testConfig } from './helpers/env.js';
import { gatewayEnv } from './helpers/processes.js';
import type { Config } from '../config/config.js';

let config: Config;
let child: ChildProcess;
let stdout = '';
let stderr = '';
let adminUrl: string;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

/** A path the banner prints after `label`. */
function bannerPath(label: RegExp): string {
  const m = label.exec(stdout);
  expect(m, `banner line ${label}`).toBeTruthy();
  return m![1];
}

function adminGet(url: string, tls: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  config = testConfig('sqlite');
  // `ndxp start` as an operator runs it the first time: text banner, nothing prepared beforehand.
  child = spawn(process.execPath, [path.join(REPO, 'bin/ndxp.js'), 'start', '--workers', '1'], { env: gatewayEnv(config), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${stderr}`)), 90_000);
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      // The banner's last line is printed last of all.
      if (stdout.includes('Kết nối một phần mềm')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${stderr}`));
    });
  });
  adminUrl = /Cổng quản trị:\s+(https:\/\/[^\s]+)/.exec(stdout)![1].replace('0.0.0.0', '127.0.0.1');
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  await cleanup();
});

describe('the first admin credential', () => {
  it('leaves no private key in clear under the data directory (admin, CA, servers)', () => {
    const files = filesUnder(config.dataDir);
    expect(files.some((f) => f.endsWith('.p12'))).toBe(true);
    // The gateway's own keys (servers, central client, audit) are mirrored under pki/, encrypted
    // with the master key; the CA keys live only in the store, encrypted the same way.
    const serverKey = files.find((f) => f.endsWith(path.join('pki', 'server-dataplane.key.pem')));
    expect(readFileSync(serverKey!, 'utf8')).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    const clear = files.filter((f) => /-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(readFileSync(f).toString('latin1')));
    expect(clear).toEqual([]);
  });

  it('keeps the PKCS#12 password in an owner-only file that the banner names, and never prints it', () => {
    const p12File = bannerPath(/PKCS#12:\s+(\S+\.p12)/);
    const passwordFile = bannerPath(/[Mm]ật khẩu:\s+(\S+)/);
    expect(path.dirname(passwordFile)).toBe(path.join(config.dataDir, 'admin'));
    expect(existsSync(p12File)).toBe(true);
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(stdout).not.toContain(password);
    expect(stderr).not.toContain(password);
  });

  it('the PKCS#12 opens with that password and is a network-admin client certificate on the admin plane', async () => {
    const password = readFileSync(bannerPath(/[Mm]ật khẩu:\s+(\S+)/), 'utf8').trim();
    const pfx = readFileSync(bannerPath(/PKCS#12:\s+(\S+\.p12)/));
    const ca = readFileSync(bannerPath(/CA:\s+(\S+ca-chain\.pem)/));
    const res = await adminGet(`${adminUrl}/api/v1/admin/whoami`, { pfx, passphrase: password, ca });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ role: 'network-admin' });
    // A wrong password does not open it.
    await expect(adminGet(`${adminUrl}/api/v1/admin/whoami`, { pfx, passphrase: 'sai-mat-khau', ca })).rejects.toThrow();
  });

  it('the PEM key, if kept, is encrypted PKCS#8 under the same password and works too', async () => {
    const password = readFileSync(bannerPath(/[Mm]ật khẩu:\s+(\S+)/), 'utf8').trim();
    const keyFile = path.join(config.dataDir, 'admin', 'first-admin.key.pem');
    expect(existsSync(keyFile)).toBe(true);
    const pem = readFileSync(keyFile, 'utf8');
    expect(pem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(() => createPrivateKey({ key: pem, format: 'pem' })).toThrow();
    createPrivateKey({ key: pem, format: 'pem', passphrase: password });
    const cert = readFileSync(path.join(config.dataDir, 'admin', 'first-admin.cert.pem'));
    const ca = readFileSync(path.join(config.dataDir, 'admin', 'ca-chain.pem'));
    const res = await adminGet(`${adminUrl}/api/v1/admin/whoami`, { cert, key: pem, passphrase: password, ca });
    expect(res.status).toBe(200);
  });
});
