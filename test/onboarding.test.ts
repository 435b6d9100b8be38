/**
 * The README's onboarding, followed as written (issue 10): the example re-mapping table and unit
 * tree shipped in examples/ are what a first vendor A request needs (loaded with the operator's
 * verbs, then the contract's sample goes through end to end over mTLS); NDXP_PUBLIC_URL is the
 * WSDL's soap:address; a JSON client identifies itself with X-Connection-Key; TLS below 1.2 is
 * refused. And the README says so: the header, the registry values a .NET 4.0/4.5 client needs,
 * ES256 wherever it names the record signature, its first two commands.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, REPO, tempDir } from './helpers/env.js';
import { sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { ndxp } from './helpers/cli.js';

afterAll(cleanup);

const PUBLIC_URL = 'https://cong-ket-noi.soNoiVu.example.gov.vn:8443';

describe('a first vendor A request with the example unit files', () => {
  let h: Harness;
  let a: LegacyClient;
  let json: LegacyClient;

  beforeAll(async () => {
    // No unit data loaded: the operator loads the shipped examples, as the README says.
    h = await startHarness({ sampleUnits: false, config: { publicUrl: PUBLIC_URL } });
    const c = h.ctx.config;
    const configFile = path.join(tempDir(), 'ndxp.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: c.dataDir, redisUrl: c.redisUrl, redisPrefix: c.redisPrefix }));
    for (const args of [
      ['units', 'remap', 'load', path.join(REPO, 'examples/unit-remap.json')],
      ['units', 'load', path.join(REPO, 'examples/unit-tree.json')],
    ]) {
      const r = await ndxp([...args, '--json', '--config', configFile]);
      expect(r.code, r.stderr + String(r.error ?? '')).toBe(0);
    }
    await h.signingCertFor('000.00.00.H06');
    a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A', unitCode: '000.00.00.H03' });
    json = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
  }, 180_000);

  it('the contract sample, with pre-2025 unit codes, is synchronised: MaKetQua 0 and the record is at the simulator', async () => {
    // The unit directory picks up loaded tables within one refresh interval, as on every node.
    let text = '';
    const until = Date.now() + 15_000;
    do {
      const res = await a.request(`${h.url}/QLCBService.asmx`, {
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' },
        body: sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', a.connectionKey),
      });
      text = res.text;
      if (text.includes('<MaKetQua>0</MaKetQua>')) break;
      await new Promise((r) => setTimeout(r, 300));
    } while (Date.now() < until);
    expect(text).toContain('<MaKetQua>0</MaKetQua>');
    expect(h.sim.stats().appliedBySoDinhDanh?.['024085001234']).toBe(1);
  });

  it('NDXP_PUBLIC_URL becomes the WSDL soap:address', async () => {
    const res = await a.request(`${h.url}/QLCBService.asmx?WSDL`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`location="${PUBLIC_URL}/QLCBService.asmx"`);
  });

  it('a JSON client is known by its X-Connection-Key header', async () => {
    const res = await json.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': json.connectionKey } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json())).toContain(json.keyId);
  });

  it('TLS 1.2 is the floor: a TLS 1.1 handshake is refused', async () => {
    const port = Number(new URL(h.url).port);
    const outcome = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port, maxVersion: 'TLSv1.1', minVersion: 'TLSv1', rejectUnauthorized: false, ciphers: 'DEFAULT:@SECLEVEL=0' });
      socket.once('secureConnect', () => {
        resolve(`connected ${socket.getProtocol()}`);
        socket.destroy();
      });
      socket.once('error', (err) => resolve(`refused: ${err.message}`));
    });
    expect(outcome).toMatch(/^refused/);
  });
});

describe('the README onboarding text', () => {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');

  it('keeps its first two commands', () => {
    const first = /```sh\n([\s\S]*?)```/.exec(readme)![1].split('\n').filter(Boolean).map((l) => l.split('#')[0].trim());
    expect(first).toEqual(['npm ci && npm start', 'npm test']);
  });

  it('tells JSON clients about X-Connection-Key, how to load the example unit files, and what NDXP_PUBLIC_URL does', () => {
    expect(readme).toContain('X-Connection-Key');
    expect(readme).toContain('ndxp units remap load examples/unit-remap.json');
    expect(readme).toContain('ndxp units load examples/unit-tree.json');
    expect(readme).toMatch(/soap:address[^\n]*NDXP_PUBLIC_URL/);
  });

  it('says TLS 1.2 is the floor and which registry values a .NET 4.0/4.5 client sets', () => {
    expect(readme).toMatch(/TLS 1\.2 is the floor/);
    expect(readme).toContain('SchUseStrongCrypto /t REG_DWORD /d 1');
    expect(readme).toContain('SystemDefaultTlsVersions /t REG_DWORD /d 1');
  });

  it('names ES256, not RS256, as the record signature', () => {
    expect(readme).not.toMatch(/RS256 over/);
    expect(readme).toMatch(/every record \(ES256 over RFC 8785/);
  });
});
