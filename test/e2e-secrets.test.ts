/**
 * Connection-key secrets are never readable by anyone who reads what the gateway keeps (issue 15).
 *
 * A real gateway process (`ndxp start`, debug logs, `NDXP_AUDIT_BODIES=full` with an encryption
 * key) receives, over mutual TLS, calls from every front carrying distinct secrets: vendor A's
 * MaKetNoi SOAP header, vendor B's WS-Security password, vendor C's and the JSON front's
 * X-Connection-Key header, a bearer token, and POST /token client secrets; valid keys, wrong keys
 * and requests that fail before a call is even read (broken XML, an expired WS-Security
 * timestamp, UTF-16 bodies). Then everything an auditor or operator can reach is searched for
 * each secret: the data directory's bytes (SQLite file, WAL, every other file), every table's
 * content, every stored body as an auditor opens it on the admin plane, the audit search as JSON,
 * CSV and JSON Lines (admin API and CLI), an exported bundle (gunzipped), and every line the
 * gateway and the CLI printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { sql } from 'kysely';
import { CONTRACTS, cleanup, tempDir, testConfig, testContext } from './helpers/env.js';
import { eventually, tlsClient, type TlsClient } from './helpers/http.js';
import { gatewayEnv, startGatewayProcess, type GatewayProcess } from './helpers/processes.js';
import { ndxp } from './helpers/cli.js';
import { SAMPLE_TREE } from './helpers/tree.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { serverTlsMaterial } from '../certs/material.js';
import { createKey } from '../gateway/keys/service.js';
import { startCentralSim, type CentralSim } from '../central-sim/server.js';
import { loadRemapRules, loadUnitTree } from '../gateway/units/service.js';
import { generateBodyKey } from '../gateway/audit/protect.js';
import type { AppContext } from '../core/context.js';

let ctx: AppContext;
let sim: CentralSim;
let gw: GatewayProcess;
let chain: string;
let configPath: string;
const bodyKey = generateBodyKey();
const FIRST_ADMIN_PASSWORD = 'first-admin.password';

/** label → secret. Every one of them must be absent from everything searched. */
const secrets = new Map<string, string>();

interface Installation {
  client: TlsClient;
  keyId: string;
  key: string;
}

async function installation(vendor: string, softwareId: string, unitCode = '000.00.00.H03'): Promise<Installation> {
  const cert = await issueCertificate(ctx, { kind: 'client', cn: softwareId, unit: unitCode }, 'test');
  const created = await createKey(ctx, { softwareId, unitCode, vendor } as never, 'test');
  const client = tlsClient(cert, chain);
  await eventually(async () => (await client.request(`${gw.url}/api/v1/whoami`, { headers: { 'x-connection-key': created.connectionKey } })).status === 200, 10_000, 200);
  return { client, keyId: created.keyId, key: created.connectionKey };
}

/** A key-shaped secret nobody issued: `<keyId>.<43 random base64url chars>`. */
const wrongKey = (keyId: string) => `${keyId}.${randomBytes(32).toString('base64url')}`;

/** Records the secret part of a presented key under a label. */
function remember(label: string, key: string): string {
  const secret = key.includes('.') ? key.slice(key.indexOf('.') + 1) : key;
  secrets.set(label, secret);
  return key;
}

function sample(relative: string): string {
  return readFileSync(path.join(CONTRACTS, relative), 'utf8');
}

const vendorA = (key: string) => sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', key);

function vendorB(key: string, softwareId: string, created = new Date()): string {
  const expires = new Date(created.getTime() + 5 * 60_000);
  return sample('vendors/vendor-b-jaxws/samples/submitRecords.request.xml')
    .replace('{{NOW}}', created.toISOString())
    .replace('{{NOW+5min}}', expires.toISOString())
    .replace('{{SOFTWARE_ID}}', softwareId)
    .replace('{{CONNECTION_KEY}}', key);
}

/** Every form a secret could take in stored bytes: UTF-8/ASCII and both UTF-16 byte orders. */
function forms(secret: string): Buffer[] {
  const le = Buffer.from(secret, 'utf16le');
  const be = Buffer.from(le).swap16();
  return [Buffer.from(secret, 'utf8'), le, be];
}

/** The labels of the secrets found in one place. */
function found(haystack: Buffer | string): string[] {
  const buf = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
  const hits: string[] = [];
  for (const [label, secret] of secrets) if (forms(secret).some((f) => buf.includes(f))) hits.push(label);
  return hits;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : e.isFile() ? [p] : [];
  });
}

beforeAll(async () => {
  const config = testConfig('sqlite', { keys: { refreshIntervalMs: 300 }, audit: { bodies: 'full', encryptionKeys: [bodyKey] } });
  ctx = await testContext('sqlite', config);
  await ensurePki(ctx);
  await loadRemapRules(ctx, JSON.parse(sample('national/unit-remap.sample.json')), 'test');
  await loadUnitTree(ctx, SAMPLE_TREE, 'test');
  await issueCertificate(ctx, { kind: 'signing', cn: 'Ký số H06', unit: '000.00.00.H06' }, 'test');
  sim = await startCentralSim({ config, listen: '127.0.0.1:0', tls: await serverTlsMaterial(ctx, 'central-sim') });
  ctx.config.centralUrl = sim.url;
  gw = await startGatewayProcess(
    gatewayEnv(ctx.config, {
      NDXP_CENTRAL_TOKEN: 'test-token',
      NDXP_LOG_LEVEL: 'debug',
      NDXP_AUDIT_BODIES: 'full',
      NDXP_AUDIT_ENCRYPTION_KEYS: bodyKey,
    }),
  );
  // This is the data directory's first start: the first admin's password is a secret too, kept
  // only in its owner-only file (never printed, in JSON mode neither).
  secrets.set('first admin password', readFileSync(path.join(config.dataDir, 'admin', FIRST_ADMIN_PASSWORD), 'utf8').trim());
  chain = (await issueCertificate(ctx, { kind: 'client', cn: 'probe', unit: '000.00.00.H06' }, 'test')).chainPem;
  configPath = path.join(tempDir(), 'ndxp.json');
  writeFileSync(configPath, JSON.stringify({ dataDir: config.dataDir, redisUrl: config.redisUrl, redisPrefix: config.redisPrefix, audit: { bodies: 'full', encryptionKeys: [bodyKey] } }));
}, 180_000);

afterAll(async () => {
  await gw?.kill();
  await sim?.close();
  await cleanup();
});

describe('connection-key secrets are never readable', () => {
  it('no secret from any front is in the store, the bodies an auditor opens, searches, bundles or logs', async () => {
    const a = await installation('vendor-a-asmx', 'QLCB-A');
    const b = await installation('vendor-b-jaxws', 'HRM-B');
    const c = await installation('vendor-c-xmlpost', 'VB6-C');
    const j = await installation('json', 'MODERN-J', '000.00.00.H06');
    const t = await installation('json', 'TOKEN-T', '000.00.00.H06');
    const answers: { what: string; status: number }[] = [];
    const post = async (what: string, who: Installation, url: string, headers: Record<string, string>, body: string | Buffer) => {
      const res = await who.client.request(`${gw.url}${url}`, { headers, body });
      answers.push({ what, status: res.status });
      return res;
    };

    // Vendor A (SOAP 1.1, key in the XacThuc header): valid, wrong, and a body that cannot be read.
    const soap11 = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' };
    await post('A ok', a, '/QLCBService.asmx', soap11, vendorA(remember('A valid MaKetNoi', a.key)));
    await post('A wrong', a, '/QLCBService.asmx', soap11, vendorA(remember('A wrong MaKetNoi', wrongKey(a.keyId))));
    const aBroken = vendorA(remember('A MaKetNoi in broken XML', a.key)).replace('</soap:Body>', '');
    expect((await post('A broken', a, '/QLCBService.asmx', soap11, aBroken)).text).toContain('XML_KHONG_HOP_LE');
    const aUtf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(vendorA(remember('A MaKetNoi in UTF-16', wrongKey(a.keyId))).replace('encoding="utf-8"', 'encoding="utf-16"'), 'utf16le')]);
    await post('A UTF-16', a, '/QLCBService.asmx', { ...soap11, 'content-type': 'text/xml; charset=utf-16' }, aUtf16);

    // Vendor B (SOAP 1.2, WS-Security UsernameToken): valid, wrong, and an expired timestamp (refused before any call exists).
    const soap12 = { 'content-type': 'application/soap+xml; charset=utf-8; action="urn:submitRecords"' };
    await post('B ok', b, '/hrm/sync/v2', soap12, vendorB(remember('B valid Password', b.key), 'HRM-B'));
    await post('B wrong', b, '/hrm/sync/v2', soap12, vendorB(remember('B wrong Password', wrongKey(b.keyId)), 'HRM-B'));
    const expired = await post('B expired', b, '/hrm/sync/v2', soap12, vendorB(remember('B Password with expired timestamp', b.key), 'HRM-B', new Date(Date.now() - 3_600_000)));
    expect(expired.text).toContain('THOI_HAN_THONG_DIEP');
    const bBroken = vendorB(remember('B Password in broken XML', wrongKey(b.keyId)), 'HRM-B').replace('</soap:Header>', '<soap:Header>');
    await post('B broken', b, '/hrm/sync/v2', soap12, bBroken);

    // Vendor C (key in X-Connection-Key): valid, wrong, and an unreadable body.
    const raw = readFileSync(path.join(CONTRACTS, 'vendors/vendor-c-xmlpost/samples/hoso.request.xml'));
    const cHeaders = (key: string) => ({ 'content-type': 'text/xml', 'x-connection-key': key, 'x-ma-don-vi': '000.12.00.H03' });
    await post('C ok', c, '/vendor-c/hoso', cHeaders(remember('C valid header', c.key)), raw);
    await post('C wrong', c, '/vendor-c/hoso', cHeaders(remember('C wrong header', wrongKey(c.keyId))), raw);
    await post('C broken', c, '/vendor-c/hoso', cHeaders(remember('C header with broken XML', c.key)), raw.subarray(0, 200));

    // POST /token: HTTP Basic and form secrets, right and wrong; then the JSON front with a key and a bearer token.
    const [tId, tSecret] = t.key.split('.');
    remember('token client secret', t.key);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const tok = await post('token basic', t, '/token', { ...form, authorization: `Basic ${Buffer.from(`${tId}:${tSecret}`).toString('base64')}` }, 'grant_type=client_credentials');
    expect(tok.status).toBe(200);
    const bearer = tok.json().access_token as string;
    secrets.set('bearer token', bearer);
    await post('token form', t, '/token', form, `grant_type=client_credentials&client_id=${tId}&client_secret=${tSecret}`);
    const wrongTokenSecret = wrongKey(tId);
    await post('token wrong', t, '/token', form, `grant_type=client_credentials&client_id=${tId}&client_secret=${remember('token wrong secret', wrongTokenSecret).split('.')[1]}`);
    const record = JSON.parse(sample('vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'));
    delete record.chuKySo;
    delete record.nguon;
    const json = { 'content-type': 'application/json' };
    await post('JSON ok', j, '/api/v1/profiles', { ...json, 'x-connection-key': remember('JSON valid header', j.key) }, JSON.stringify(record));
    await post('JSON wrong', j, '/api/v1/profiles', { ...json, 'x-connection-key': remember('JSON wrong header', wrongKey(j.keyId)) }, JSON.stringify(record));
    await post('JSON bearer', t, '/api/v1/profiles', { ...json, authorization: `Bearer ${bearer}` }, JSON.stringify(record));
    await post('JSON broken', j, '/api/v1/profiles', { ...json, 'x-connection-key': j.key }, '{"hoSo": [');
    const read = await t.client.request(`${gw.url}/api/v1/profiles/024085001234`, { headers: { authorization: `Bearer ${bearer}` } });
    answers.push({ what: 'JSON read', status: read.status });

    // What went right went right, and what should fail failed: the secrets reached the gateway.
    const statusOf = (what: string) => answers.find((x) => x.what === what)!.status;
    expect(statusOf('A ok')).toBe(200);
    expect(statusOf('B ok')).toBe(200);
    expect(statusOf('C ok')).toBe(200);
    expect(statusOf('token form')).toBe(200);
    expect(statusOf('token wrong')).toBe(401);
    expect([200, 202]).toContain(statusOf('JSON ok'));
    expect([200, 202]).toContain(statusOf('JSON bearer'));
    expect(statusOf('JSON wrong')).toBe(401);
    expect(statusOf('C wrong')).toBe(401);

    // The auditor's view: every entry, every kept body, as the admin plane serves them.
    const auditor = tlsClient(await issueCertificate(ctx, { kind: 'admin', cn: 'kiem-toan', role: 'auditor' }, 'test'), chain);
    const entriesUrl = `${gw.adminUrl}/api/v1/admin/audit/entries?limit=1000`;
    const entries = await eventually(async () => {
      const res = await auditor.request(entriesUrl);
      if (res.status !== 200) return undefined;
      const items = res.json().items as { seq: number; front: string | null; hasRequestBody: boolean; hasResponseBody: boolean }[];
      // Every data-plane call above is in the trail (the trail is written in batches).
      const fromFronts = items.filter((i) => ['vendor-a-asmx', 'vendor-b-jaxws', 'vendor-c-xmlpost', 'json', 'token'].includes(i.front ?? ''));
      return fromFronts.length >= answers.length ? { items, text: res.text } : undefined;
    }, 20_000, 200);
    const places: { place: string; hits: string[] }[] = [];
    const search = (place: string, haystack: Buffer | string) => places.push({ place, hits: found(haystack) });
    search('admin API audit search (JSON)', entries.text);
    let opened = 0;
    const keptRequests: string[] = [];
    for (const item of entries.items) {
      for (const part of ['request', 'response'] as const) {
        if (!(part === 'request' ? item.hasRequestBody : item.hasResponseBody)) continue;
        const res = await auditor.request(`${gw.adminUrl}/api/v1/admin/audit/entries/${item.seq}/body/${part}`);
        expect(res.status).toBe(200);
        opened++;
        search(`body ${item.seq}/${part} (${item.front})`, res.body);
        if (part === 'request') keptRequests.push(res.body.toString('utf8'));
      }
    }
    // Bodies were really kept (full retention), or this test would prove nothing.
    expect(opened).toBeGreaterThanOrEqual(2 * 12);
    // …and the credentials in them were replaced, not the bodies dropped.
    expect(keptRequests.filter((t) => t.includes('<MaKetNoi>***</MaKetNoi>')).length).toBeGreaterThanOrEqual(3);
    expect(keptRequests.filter((t) => t.includes('PasswordText">***</wsse:Password>')).length).toBeGreaterThanOrEqual(4);
    for (const format of ['csv', 'jsonl']) search(`admin API audit search (${format})`, (await auditor.request(`${entriesUrl}&format=${format}`)).body);

    // The operator's command line: search in every format, and an exported bundle.
    const cliOutputs: string[] = [];
    for (const args of [['--json'], ['--format', 'csv'], ['--format', 'jsonl'], []]) {
      const run = await ndxp(['audit', 'search', '--config', configPath, '--limit', '1000', ...args]);
      expect(run.code).toBe(0);
      cliOutputs.push(run.stdout, run.stderr);
      search(`ndxp audit search ${args.join(' ')}`, run.stdout + run.stderr);
    }
    const bundle = path.join(tempDir(), 'nhat-ky.jsonl.gz');
    const exported = await ndxp(['audit', 'export', '--config', configPath, '--from', '2000-01-01', '--to', '2100-01-01', '--out', bundle, '--json']);
    expect(exported.code).toBe(0);
    search('ndxp audit export output', exported.stdout + exported.stderr);
    const bundleText = gunzipSync(readFileSync(bundle));
    expect(bundleText.length).toBeGreaterThan(0);
    search('audit bundle (gunzipped)', bundleText);
    auditor.close();
    for (const who of [a, b, c, j, t]) who.client.close();

    // Stop the gateway: every log line written, the store closed; then the data directory's bytes.
    await gw.stop();
    search('gateway stderr (debug logs)', gw.logs());
    search('gateway stdout', gw.stdout());
    for (const file of filesUnder(ctx.config.dataDir)) {
      if (path.basename(file) === FIRST_ADMIN_PASSWORD) continue; // where that password is meant to be
      if (statSync(file).size > 0) search(`file ${path.relative(ctx.config.dataDir, file)}`, readFileSync(file));
    }
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(ctx.store.db);
    expect(tables.rows.length).toBeGreaterThan(5);
    for (const { name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(ctx.store.db);
      const text = rows.rows.map((r) => Object.values(r).map((v) => (Buffer.isBuffer(v) || v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : String(v))).join('\u0001')).join('\n');
      search(`table ${name}`, text);
    }

    // The search itself finds a secret where one is (or an empty result would prove nothing).
    expect(found(`x${secrets.get('A valid MaKetNoi')}x`)).toContain('A valid MaKetNoi');
    expect(places.length).toBeGreaterThan(30);
    expect(places.filter((p) => p.hits.length > 0)).toEqual([]);
  }, 240_000);
});
