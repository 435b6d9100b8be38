/**
 * The admin web console end to end: Debian's Chromium driven by Playwright, presenting admin
 * client certificates to a real gateway (admin plane serving dist/console) and a real central
 * simulator. Needs the built console (`npm run build`). Screenshots of every page are taken on
 * each run; with NDXP_CONSOLE_DOCS=1 they (and the first-load figures) are written to
 * docs/console/ for the README, otherwise to a temporary directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { cleanup, REPO, tempDir } from './helpers/env.js';
import { eventually, sample, startHarness, tlsClient, SAMPLE_TREE, type Harness, type LegacyClient } from './helpers/gateway.js';
import { ndxp } from './helpers/cli.js';
import { issueCertificate } from '../certs/issue.js';
import { getRow } from '../gateway/delivery/outbox.js';
import type { IssuedCertificate } from '../certs/types.js';

const CHROMIUM = process.env.NDXP_CHROMIUM ?? '/usr/bin/chromium';
const DOCS = process.env.NDXP_CONSOLE_DOCS === '1';
const SHOTS = DOCS ? path.join(REPO, 'docs/console') : tempDir('ndxp-console-shots-');
const CONSOLE_DIR = path.join(REPO, 'dist/console');

let h: Harness;
let browser: Browser;
let sender: LegacyClient;
let adminCert: IssuedCertificate;
let auditorCert: IssuedCertificate;

/** A browser profile presenting this client certificate to the admin plane (none: no certificate). */
async function browserFor(cert?: IssuedCertificate): Promise<BrowserContext> {
  return browser.newContext({
    ignoreHTTPSErrors: true, // the gateway's private CA is not in Chromium's store
    viewport: { width: 1366, height: 768 },
    locale: 'vi-VN',
    // Far from Vietnam on purpose: the console must still show UTC+7.
    timezoneId: 'America/Los_Angeles',
    permissions: ['clipboard-read', 'clipboard-write'],
    clientCertificates: cert ? [{ origin: h.adminUrl, cert: Buffer.from(cert.certPem), key: Buffer.from(cert.keyPem!) }] : [],
  });
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Vietnam wall-clock date of an instant, as the console writes it. */
function vnDay(ms = Date.now()): string {
  const d = new Date(ms + 7 * 3_600_000);
  return `${String(d.getUTCDate()).padStart(2, '0')}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${d.getUTCFullYear()}`;
}

function profile(soDinhDanh: string): string {
  const record = JSON.parse(sample('vendors/vendor-a-asmx/samples/DongBoHoSo.expected.json'));
  delete record.chuKySo;
  delete record.nguon;
  record.soDinhDanh = soDinhDanh;
  return JSON.stringify(record);
}

function postProfile(client: LegacyClient, soDinhDanh: string) {
  return client.request(`${h.url}/api/v1/profiles`, { headers: { 'content-type': 'application/json', 'x-connection-key': client.connectionKey }, body: profile(soDinhDanh) });
}

/** Status of a fresh mTLS handshake + request with a PKCS#12 (0 when the handshake fails). */
function handshakeWithP12(pfx: Buffer, passphrase: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.request(`${h.url}/api/v1/whoami`, { pfx, passphrase, ca: h.ca, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

beforeAll(async () => {
  if (!existsSync(path.join(CONSOLE_DIR, 'index.html'))) throw new Error('dist/console is missing: run `npm run build` first');
  h = await startHarness({ config: { delivery: { maxAttempts: 1, backoffBaseMs: 50, backoffMaxMs: 300, relayIntervalMs: 150 } } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  adminCert = await issueCertificate(h.ctx, { kind: 'admin', cn: 'nguyen.van.quan-tri', role: 'network-admin' }, 'test');
  auditorCert = await issueCertificate(h.ctx, { kind: 'admin', cn: 'tran.thi.kiem-toan', role: 'auditor' }, 'test');
  // Some traffic for the charts: delivered records and a refusal (a wrong key).
  await h.signingCertFor('000.00.00.H06');
  sender = await h.legacyClient({ vendor: 'json', softwareId: 'PM-CONSOLE-J', unitCode: '000.00.00.H06' });
  for (const id of ['001085000101', '001085000102', '001085000103']) {
    const res = await postProfile(sender, id);
    expect(res.status, res.text).toBe(200);
  }
  expect((await sender.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': `${sender.keyId}.sai-khoa` } })).status).toBe(401);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cleanup();
});

describe('who gets the console', () => {
  it('a data-plane client certificate, or none, gets a refusal page and not the application', async () => {
    const legacyCert = await issueCertificate(h.ctx, { kind: 'client', cn: 'PM-KHONG-PHAI-QUAN-TRI', unit: '000.00.00.H06' }, 'test');
    for (const cert of [legacyCert, undefined]) {
      const ctx = await browserFor(cert);
      const page = await ctx.newPage();
      const res = await page.goto(`${h.adminUrl}/keys`);
      expect(res?.status()).toBe(401);
      await expect(page.getByRole('heading', { name: 'Cần chứng thư số quản trị' }).isVisible()).resolves.toBe(true);
      expect(await page.content()).toContain('CHUNG_THU_QUAN_TRI_KHONG_HOP_LE');
      expect(await page.locator('nav').count()).toBe(0);
      if (cert) await shot(page, 'tu-choi-chung-thu-phan-mem');
      await ctx.close();
    }
    // The assets are behind the same check as the page.
    const legacy = tlsClient(legacyCert, h.ca);
    const index = readFileSync(path.join(CONSOLE_DIR, 'index.html'), 'utf8');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index)![1];
    expect((await legacy.request(`${h.adminUrl}${asset}`)).status).toBe(401);
    legacy.close();
  });

  it('serves the built console to an admin certificate with the right cache headers; the API keeps its own 404', async () => {
    const admin = await h.adminClient('network-admin');
    const page = await admin.request(`${h.adminUrl}/queue`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page.text)![1];
    const js = await admin.request(`${h.adminUrl}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers['cache-control']).toContain('immutable');
    // Nothing from outside: no absolute URLs to other hosts in what the console loads.
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect((await admin.request(`${h.adminUrl}/assets/khong-co.js`)).status).toBe(404);
    const missing = await admin.request(`${h.adminUrl}/api/v1/admin/khong-co`);
    expect(missing.status).toBe(404);
    expect(missing.json().code).toBe('KHONG_TIM_THAY');
  });
});

describe('the overview API the console draws', () => {
  it('answers both admin roles with aggregates from the trail, refuses a bad range and anyone without an admin certificate', async () => {
    await h.ctx.audit.flush();
    const auditor = await h.adminClient('auditor');
    const res = await auditor.request(`${h.adminUrl}/api/v1/admin/overview?hours=6`);
    expect(res.status).toBe(200);
    const ov = res.json();
    expect(ov.traffic.perFront.series.json.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThanOrEqual(3);
    expect(ov.traffic.perUnit.series['000.00.00.H06'].length).toBe(ov.traffic.perFront.buckets.length);
    expect(ov.refusals).toContainEqual(expect.objectContaining({ code: 'KHOA_KET_NOI_KHONG_HOP_LE' }));
    expect(ov.latency.overall.samples).toBeGreaterThanOrEqual(3);
    expect(ov.central).toMatchObject({ reachable: true });
    expect(ov.queue.depth.delivered).toBeGreaterThanOrEqual(3);
    // Aggregates only: no personal id, no key secret, no certificate subject.
    expect(res.text).not.toContain('001085000101');
    expect(res.text).not.toContain(sender.connectionKey.split('.')[1]);
    const bad = await auditor.request(`${h.adminUrl}/api/v1/admin/overview?hours=abc`);
    expect(bad.status).toBe(400);
    expect(bad.json().code).toBe('YEU_CAU_KHONG_HOP_LE');
    const legacy = await h.legacyClient({ vendor: 'json', softwareId: 'PM-OVERVIEW-NOT-ADMIN' });
    expect((await legacy.request(`${h.adminUrl}/api/v1/admin/overview`)).status).toBe(401);
  });
});

describe('a network-admin in the console', () => {
  let ctx: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ctx = await browserFor(adminCert);
    page = await ctx.newPage();
  });
  afterAll(() => ctx.close());

  it('Overview: charts of traffic, refusals by reason, queue, breakers, expiring, central reachable', async () => {
    await page.goto(`${h.adminUrl}/`);
    await page.getByRole('heading', { name: 'Tổng quan', level: 1 }).waitFor();
    await page.getByTestId('central').getByText('Kết nối được', { exact: true }).waitFor();
    expect(await page.locator('.chart canvas').count()).toBeGreaterThanOrEqual(3);
    // The wrong key sent before: counted under its catalogue code.
    await page.locator('section', { has: page.getByRole('heading', { name: 'Từ chối theo lý do' }) }).getByText('KHOA_KET_NOI_KHONG_HOP_LE').waitFor();
    // A network-admin sees every page, the audit trail included.
    expect(await page.getByRole('navigation').getByRole('link').allInnerTexts()).toEqual(['Tổng quan', 'Mã kết nối', 'Chứng thư số', 'Đơn vị', 'Hàng đợi', 'Nhật ký kiểm toán']);
    await shot(page, 'tong-quan');
  });

  it('Connection keys: creates a key, copies its secret once, suspends it and the data plane refuses it', async () => {
    await page.getByRole('link', { name: 'Mã kết nối' }).click();
    await page.getByRole('button', { name: 'Cấp mã mới' }).click();
    const form = page.getByRole('dialog');
    await form.getByLabel('Mã phần mềm *').fill('PM-TRINH-DUYET');
    await form.getByLabel('Mã đơn vị *').fill('000.00.00.H06');
    await form.getByLabel('Giao thức *').selectOption('json');
    await form.getByLabel('Họ tên').fill('Lê Văn Liên Hệ');
    await form.getByRole('button', { name: 'Cấp mã' }).click();
    await page.getByText('Chỉ hiển thị một lần.').waitFor();
    await shot(page, 'ma-ket-noi-khoa-bi-mat');
    await page.getByRole('button', { name: 'Sao chép' }).click();
    await page.getByText('Đã sao chép mã kết nối').waitFor();
    // Evaluated in the page (this file is compiled without DOM types).
    const connectionKey = String(await page.evaluate('navigator.clipboard.readText()'));
    expect(connectionKey).toMatch(/^KN[A-Z0-9]+\..+/);
    expect(await page.getByTestId('connection-key').inputValue()).toBe(connectionKey);
    const keyId = connectionKey.split('.')[0];
    await page.getByRole('button', { name: 'Tôi đã lưu, đóng lại' }).click();

    // The copied key works on the data plane…
    const cert = await issueCertificate(h.ctx, { kind: 'client', cn: 'PM-TRINH-DUYET', unit: '000.00.00.H06' }, 'test');
    const client = tlsClient(cert, h.ca);
    const whoami = () => client.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': connectionKey } });
    await eventually(async () => (await whoami()).status === 200, 10_000, 200);

    // …until the admin suspends it.
    const row = page.locator(`tr[data-key="${keyId}"]`);
    await row.getByRole('button', { name: 'Tạm khóa' }).click();
    await page.getByRole('dialog').getByLabel('Lý do (ghi vào nhật ký)').fill('Thử nghiệm từ bảng điều khiển');
    await page.getByRole('dialog').getByRole('button', { name: 'Tạm khóa' }).click();
    await row.getByText('Tạm khóa', { exact: false }).first().waitFor();
    await row.getByRole('button', { name: 'Kích hoạt' }).waitFor();
    const refused = await eventually(async () => {
      const r = await whoami();
      return r.status !== 200 && r;
    }, 10_000, 200);
    expect(refused.status).toBe(401);
    expect(refused.text).toMatch(/TAM_KHOA|KHOA/);
    client.close();
    await shot(page, 'ma-ket-noi');
  });

  it('Connection keys: an action the API refuses is explained in words with its code', async () => {
    await page.goto(`${h.adminUrl}/keys`);
    await page.getByRole('button', { name: 'Cấp mã mới' }).click();
    const form = page.getByRole('dialog');
    await form.getByLabel('Mã phần mềm *').fill('PM-LOI');
    await form.getByLabel('Mã đơn vị *').fill('000.00.00.H06');
    await form.getByLabel('Hết hạn').fill('không phải ngày');
    await form.getByRole('button', { name: 'Cấp mã' }).click();
    const alert = form.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/Không thực hiện được:.+THAM_SO_KHONG_HOP_LE/s);
    await form.getByRole('button', { name: 'Thôi' }).click();
  });

  it('Certificates: issues a client certificate, downloads its PKCS#12 that then handshakes, revokes it and the handshake fails', async () => {
    await page.getByRole('link', { name: 'Chứng thư số' }).click();
    const issue = page.locator('section', { has: page.getByRole('heading', { name: 'Cấp chứng thư số' }) });
    await issue.getByLabel('Tên (CN) *').fill('PM-P12-TRINH-DUYET');
    await issue.getByLabel('Mã đơn vị').fill('000.00.00.H06');
    await issue.getByLabel('Mật khẩu tệp PKCS#12').fill('mat-khau-p12');
    await issue.getByLabel('Nhập lại mật khẩu').fill('mat-khau-p12');
    await issue.getByRole('button', { name: 'Cấp chứng thư' }).click();
    const done = await issue.getByText(/Đã cấp chứng thư sê-ri/).innerText();
    const serial = /sê-ri ([0-9A-F]+)/i.exec(done)![1];
    const [download] = await Promise.all([page.waitForEvent('download'), issue.getByRole('button', { name: 'Tải tệp PKCS#12 (.p12)' }).click()]);
    expect(download.suggestedFilename()).toBe('PM-P12-TRINH-DUYET.p12');
    const file = path.join(tempDir(), 'client.p12');
    await download.saveAs(file);
    const pfx = readFileSync(file);
    // A completed handshake: the data plane answers (no key, so 401 from the gateway, not a TLS failure).
    expect(await handshakeWithP12(pfx, 'mat-khau-p12')).toBe(401);

    const row = page.locator(`tr[data-serial="${serial}"]`);
    await row.getByRole('button', { name: 'Thu hồi' }).click();
    await page.getByRole('dialog').getByLabel('Lý do thu hồi *').selectOption('keyCompromise');
    await page.getByRole('dialog').getByRole('button', { name: 'Thu hồi' }).click();
    await row.getByText('Đã thu hồi').waitFor();
    await eventually(async () => (await handshakeWithP12(pfx, 'mat-khau-p12')) === 0, 10_000, 200);
    await shot(page, 'chung-thu-so');
  });

  it('Units: loading a tree file shows what changes before applying it', async () => {
    await page.getByRole('link', { name: 'Đơn vị' }).click();
    await page.getByText('000.05.31.H06').first().waitFor();
    const tree = [...SAMPLE_TREE, { maDinhDanh: '000.07.31.H06', ten: 'Sở Tài chính', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01' }];
    await page.getByLabel('Chọn tệp cây đơn vị').setInputFiles({ name: 'cay-don-vi.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tree)) });
    await page.getByTestId('unit-diff').getByText('thêm 1, bỏ 0, thay đổi 0').waitFor();
    await shot(page, 'don-vi');
    await page.getByRole('button', { name: 'Áp dụng cây đơn vị' }).click();
    await page.getByText('Đã nạp 3 đơn vị').waitFor();
  });

  it('Queue: a dead letter from while the central database was down is replayed once it is back', { timeout: 90_000 }, async () => {
    await h.sim.setFaults({ down: { mode: 'refuse' } });
    let trackingId: string;
    try {
      const res = await postProfile(sender, '001085000199');
      trackingId = res.json().maTheoDoi;
      expect(trackingId).toBeTruthy();
      await eventually(async () => (await getRow(h.ctx.store.db, trackingId))?.state === 'dead', 20_000, 200);
      await page.getByRole('link', { name: 'Tổng quan' }).click();
      // The overview's probe answer is kept 5 s and the page refreshes itself every 15 s: a probe
      // cached from just before the outage can show "reachable" for a while. Reload until a fresh
      // probe answers (each reload asks again once the cached answer has expired).
      const unreachable = page.getByTestId('central').getByText('Không kết nối được', { exact: true });
      await eventually(async () => {
        if (await unreachable.isVisible()) return true;
        await page.reload();
        await page.getByTestId('central').waitFor();
        return unreachable.isVisible();
      }, 30_000, 1000);
      await page.getByTestId('dead').getByText('1', { exact: true }).waitFor();
      await shot(page, 'tong-quan-mat-ket-noi');
    } finally {
      await h.sim.resetFaults();
    }
    await page.getByRole('link', { name: 'Hàng đợi' }).click();
    const row = page.locator(`tr[data-tracking="${trackingId}"]`);
    await row.waitFor();
    await shot(page, 'hang-doi');
    await row.getByRole('button', { name: 'Gửi lại' }).click();
    await page.getByText('Đã đưa 1 hồ sơ trở lại hàng đợi').waitFor();
    await eventually(async () => (await getRow(h.ctx.store.db, trackingId))?.state === 'delivered', 20_000, 200);
  });
});

describe('an auditor in the console', () => {
  let ctx: BrowserContext;
  let page: Page;
  const ADMIN_BUTTONS = /^(Cấp mã mới|Tạm khóa|Kích hoạt|Hủy|Đổi khóa|Cấp chứng thư|Thu hồi|Gửi lại|Gửi lại tất cả|Bỏ|Áp dụng.*|Gỡ khóa|Thêm CA tin cậy|Bỏ tin cậy)$/;

  beforeAll(async () => {
    ctx = await browserFor(auditorCert);
    page = await ctx.newPage();
  });
  afterAll(() => ctx.close());

  it('sees traffic and admin history only: no admin page, no admin button', async () => {
    await page.goto(`${h.adminUrl}/`);
    await page.getByRole('heading', { name: 'Tổng quan', level: 1 }).waitFor();
    expect(await page.getByRole('navigation').getByRole('link').allInnerTexts()).toEqual(['Tổng quan', 'Nhật ký kiểm toán']);
    for (const p of ['/', '/keys', '/certs', '/units', '/queue']) {
      await page.goto(`${h.adminUrl}${p}`);
      await page.locator('main h1, main .notice').first().waitFor();
      if (p !== '/') expect(await page.getByRole('alert').innerText()).toContain('KHONG_DUOC_PHEP');
      const buttons = await page.getByRole('button').allInnerTexts();
      expect(buttons.filter((b) => ADMIN_BUTTONS.test(b.trim()))).toEqual([]);
    }
  });

  it('Audit: searches the trail (times in Vietnam time), verifies it, and downloads a bundle that ndxp audit verify-bundle accepts', async () => {
    await h.ctx.audit.flush();
    await page.getByRole('link', { name: 'Nhật ký kiểm toán' }).click();
    const search = page.locator('section', { has: page.getByRole('heading', { name: 'Tìm trong nhật ký' }) });
    await search.getByLabel('Loại').selectOption('admin');
    await search.getByLabel('Từ ngày').fill(vnDay());
    await search.getByRole('button', { name: 'Tìm' }).click();
    const suspend = search.locator('tr', { hasText: 'keys.suspend' }).first();
    await suspend.waitFor();
    expect(await suspend.innerText()).toContain('nguyen.van.quan-tri');
    // The time column is Vietnam time although this browser lives in Los Angeles.
    const seq = Number(await suspend.getAttribute('data-seq'));
    const entry = (await h.ctx.store.db.selectFrom('audit_entries').select('at').where('seq', '=', seq).executeTakeFirstOrThrow()).at;
    const vn = new Date(Number(entry) + 7 * 3_600_000);
    const expected = `${vnDay(Number(entry))} ${[vn.getUTCHours(), vn.getUTCMinutes(), vn.getUTCSeconds()].map((n) => String(n).padStart(2, '0')).join(':')}`;
    expect(await suspend.getByTestId('at').innerText()).toBe(expected);
    await suspend.getByRole('button', { name: `Xem bản ghi ${seq}` }).click();
    await page.getByRole('dialog').getByText('Thử nghiệm từ bảng điều khiển').waitFor();
    await page.getByRole('dialog').getByRole('button', { name: 'Đóng' }).click();

    await search.getByLabel('Loại').selectOption('');
    await search.getByLabel('Đơn vị').fill('000.00.00.H06');
    await search.getByRole('button', { name: 'Tìm' }).click();
    await search.locator('tr', { hasText: 'Trao đổi' }).first().waitFor();

    const verify = page.locator('section', { has: page.getByRole('heading', { name: 'Kiểm tra tính toàn vẹn' }) });
    await verify.getByRole('button', { name: 'Kiểm tra' }).click();
    expect(await verify.getByTestId('verify-result').innerText()).toContain('Toàn vẹn');
    await shot(page, 'nhat-ky-kiem-toan');

    const exporter = page.locator('section', { has: page.getByRole('heading', { name: 'Xuất gói nhật ký' }) });
    await exporter.getByLabel('Từ ngày').fill(vnDay());
    await exporter.getByLabel('Đến ngày').fill(vnDay());
    const [download] = await Promise.all([page.waitForEvent('download'), exporter.getByRole('button', { name: 'Xuất và tải về' }).click()]);
    const file = path.join(tempDir(), download.suggestedFilename());
    await download.saveAs(file);
    const run = await ndxp(['audit', 'verify-bundle', file, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).ok).toBe(true);
  });
});

describe('first load', () => {
  it('measures the bundle and a cold first load on the admin plane', async () => {
    const assets = readdirSync(path.join(CONSOLE_DIR, 'assets')).map((name) => {
      const bytes = readFileSync(path.join(CONSOLE_DIR, 'assets', name));
      return { name, bytes: statSync(path.join(CONSOLE_DIR, 'assets', name)).size, gzip: gzipSync(bytes).length };
    });
    const ctx = await browserFor(adminCert);
    const page = await ctx.newPage();
    const started = Date.now();
    await page.goto(`${h.adminUrl}/`);
    await page.locator('.chart canvas').first().waitFor();
    const wall = Date.now() - started;
    const nav = (await page.evaluate(
      "(() => { const n = performance.getEntriesByType('navigation')[0]; return { domContentLoaded: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) }; })()",
    )) as { domContentLoaded: number; load: number };
    await ctx.close();
    expect(assets.some((a) => a.name.endsWith('.js'))).toBe(true);
    const figures = { measuredAt: new Date().toISOString(), assets, totalBytes: assets.reduce((s, a) => s + a.bytes, 0), totalGzip: assets.reduce((s, a) => s + a.gzip, 0), firstLoad: { ...nav, overviewDrawnMs: wall } };
    if (DOCS) writeFileSync(path.join(SHOTS, 'first-load.json'), `${JSON.stringify(figures, null, 2)}\n`);
  });
});
