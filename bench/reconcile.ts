/**
 * `npm run bench:reconcile`: the time to reconcile a large province (issue 13), 200,000 people by
 * default. Seeding through the API would take hours on the shared machine and measure delivery,
 * not reconciliation, so both sides are seeded directly, as test/reconcile.test.ts does: the
 * simulator's own store before it starts, the gateway's outbox rows in one transaction. The mix
 * of classes is what a province looks like some months after its first full synchronisation
 * (most records complete, a few per cent behind, missing, sent by retired software, …), with a
 * history of older versions in the outbox for a third of the people and records of realistic
 * size (~3.5 kB with the signature).
 *
 * The simulator runs as its own process (`ndxp central-sim`), over mutual TLS. The reconciliation
 * runs in a fresh child process (this script with --measure) calling the same service the CLI
 * does (`reconcileUnit`, read-only: no --resend), so its wall time, CPU time and peak RSS are its
 * own, not the seeding's.
 *
 *   node dist/bench/reconcile.js [--records 200000] [--page-size 5000] [--keep]
 *
 * Prints the figures and the counts (and whether every class was found exactly); the JSON report
 * goes to bench/results/reconcile-<timestamp>.json. BENCHMARKS.md is written by hand from it.
 */
import { Command } from 'commander';
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/config.js';
import { openContext, closeContext } from '../gateway/context.js';
import { quietLogger } from '../core/log.js';
import type { OutboxRow } from '../core/store/tables/delivery.js';
import { newRow } from '../gateway/delivery/outbox.js';
import { ensurePki } from '../certs/pki.js';
import { SimStore } from '../central-sim/store.js';
import { versionKey } from '../central-sim/api.js';
import { canonicalJson } from '../central-sim/signature.js';
import { reconcileUnit, CLASSES, type ReconcileClass, type ReconcileReport } from '../gateway/reconcile/service.js';
import { startServer, freePort } from './lib/processes.js';
import { loadAverage, snapshot } from './lib/procstat.js';
import { machine, machineLines, writeJsonReport, REPO_ROOT } from './lib/report.js';

const ROOT = '000.00.00.H40';
const V_OLD = '2025-07-15T09:00:00+07:00';
const V1 = '2025-09-10T10:15:00+07:00';
const V2 = '2025-10-02T08:30:00+07:00';
const log = (line: string) => process.stderr.write(`[reconcile ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** Per thousand people, by class: a province some months after its first full synchronisation. */
const MIX: [ReconcileClass, number][] = [
  ['complete', 930],
  ['centreBehind', 20],
  ['missingAtCentre', 15],
  ['unknownToGateway', 20],
  ['centreAhead', 10],
  ['differs', 5],
];

/** A province: the root, 20 departments, 5 units under each (121 units). */
function provinceUnits(): { code: string; parent: string | null; cap: number }[] {
  const units: { code: string; parent: string | null; cap: number }[] = [{ code: ROOT, parent: null, cap: 1 }];
  for (let d = 1; d <= 20; d++) {
    const dept = `000.${String(d).padStart(2, '0')}.31.H40`;
    units.push({ code: dept, parent: ROOT, cap: 2 });
    for (let u = 1; u <= 5; u++) units.push({ code: `${String(u).padStart(3, '0')}.${String(d).padStart(2, '0')}.31.H40`, parent: dept, cap: 3 });
  }
  return units;
}

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương'];
const MIDDLE = ['Văn', 'Thị', 'Hữu', 'Đức', 'Minh', 'Ngọc', 'Thanh', 'Quang'];
const GIVEN = ['Đức', 'Hương', 'Lan', 'Hùng', 'Dũng', 'Thủy', 'Tuấn', 'Hà', 'Sơn', 'Phương', 'Long', 'Yến', 'Khánh', 'Trang'];

const idOf = (i: number) => `0${String(40 + (i % 50)).padStart(2, '0')}${String(80 + (i % 17)).padStart(3, '0')}${String(i).padStart(6, '0')}`;

/** A national record shaped like the contract's sample (about 1.5 kB before the signature). */
function record(i: number, unit: string, version: string, name = `${FAMILY[i % 12]} ${MIDDLE[(i >> 2) % 8]} ${GIVEN[(i >> 5) % 14]}`) {
  const year = 1965 + (i % 35);
  const place = `Xã ${GIVEN[(i >> 3) % 14]}, huyện ${FAMILY[(i >> 4) % 12]}, tỉnh Bắc Ninh`;
  return {
    soDinhDanh: idOf(i),
    soHieu: `BN-${String(i).padStart(6, '0')}`,
    hoVaTen: name,
    ngaySinh: `${year}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`,
    gioiTinh: 1 + (i % 2),
    danToc: '01',
    tonGiao: '00',
    noiSinh: { diaChi: place },
    queQuan: { diaChi: place },
    ngayTuyenDung: `${year + 24}-09-15`,
    donVi: { maDinhDanh: unit, ten: `Đơn vị ${unit}` },
    chucVu: [{ ten: 'Chuyên viên', kiemNhiem: false }],
    ngachChucDanh: { ma: '01.003', ten: 'Chuyên viên' },
    luong: { bac: 3, heSo: 3.0, ngayHuong: '2023-01-01' },
    trinhDo: { giaoDucPhoThong: '12/12', chuyenMonCaoNhat: 'Cử nhân Luật', lyLuanChinhTri: 'TRUNG_CAP' },
    quaTrinhCongTac: [
      { tuThang: `${year + 24}-09`, denThang: '2018-12', noiDung: `Chuyên viên ${unit}` },
      { tuThang: '2019-01', noiDung: `Chuyên viên chính ${unit}` },
    ],
    khenThuong: [{ hinhThuc: '05', nam: 2021, soQuyetDinh: `${1000 + (i % 9000)}/QĐ-UBND` }],
    ngayCapNhat: version,
    nguon: { maPhanMem: 'PM-QLCB-TINH', maDonViGui: ROOT, dinhDangGoc: 'vendor-a-asmx' },
  };
}
type Rec = ReturnType<typeof record>;

// A signature of realistic size (certificate ~1.3 kB base64, RS256 value 344 characters).
const CERT = randomBytes(980).toString('base64');
const SIG = randomBytes(256).toString('base64');
const signed = (r: Rec) => JSON.stringify({ ...r, chuKySo: { thuatToan: 'RS256', chungThu: CERT, giaTri: SIG, thoiDiemKy: r.ngayCapNhat } });
const bam = (r: Rec) => createHash('sha256').update(canonicalJson(r), 'utf8').digest('hex');

async function seed(configFile: string, records: number): Promise<{ expected: Record<ReconcileClass, number>; outboxRows: number; seedMs: number }> {
  const t0 = performance.now();
  const config = loadConfig({ file: configFile, env: {} });
  const ctx = await openContext(config, { log: quietLogger() });
  const expected = Object.fromEntries(CLASSES.map((c) => [c, 0])) as Record<ReconcileClass, number>;
  let outboxRows = 0;
  try {
    await ensurePki(ctx);
    const units = provinceUnits();
    const now = Date.now();
    await ctx.store.db
      .insertInto('units')
      .values(units.map((u) => ({ ma_dinh_danh: u.code, ten: `Đơn vị ${u.code}`, ma_don_vi_cha: u.parent, cap: u.cap, hieu_luc_tu: '2025-07-01', hieu_luc_den: null, ma_cu: null, ngay_cap_nhat: null, updated_at: now, updated_by: 'bench' })))
      .execute();

    const sim = new SimStore(config.dataDir);
    let tracking = 0;
    const row = (r: Rec, state: string): OutboxRow =>
      newRow(
        {
          tracking_id: `TD${String(++tracking).padStart(25, '0')}`,
          kind: 'profile',
          subject_id: r.soDinhDanh,
          record_id: null,
          version_ms: Date.parse(r.ngayCapNhat),
          version: r.ngayCapNhat,
          idempotency_key: `bench-${tracking}-abcdefghijklmnop`,
          body: signed(r),
          unit_code: ROOT,
          software_id: 'PM-QLCB-TINH',
          key_id: null,
          front: 'vendor-a-asmx',
          request_id: null,
        },
        now,
        { state, attempts: 1, enqueued: 1, delivered_at: state === 'delivered' ? now : null },
      );
    const centre = (r: Rec) =>
      sim.insertProfile({ soDinhDanh: r.soDinhDanh, ngayCapNhat: r.ngayCapNhat, versionKey: versionKey(r.ngayCapNhat)!, maDonVi: r.donVi.maDinhDanh, body: signed(r), bam: bam(r) }, now);
    sim.transaction(() => {
      for (const u of units) {
        const body = JSON.stringify({ maDinhDanh: u.code, ten: `Đơn vị ${u.code}`, ...(u.parent ? { maDonViCha: u.parent } : {}), cap: u.cap, hieuLucTu: '2025-07-01' });
        sim.insertUnit({ maDinhDanh: u.code, maDonViCha: u.parent, ngayCapNhat: null, versionKey: null, bodyHash: createHash('sha256').update(body).digest('hex'), body }, now);
      }
    });

    const CHUNK = 5000;
    for (let start = 0; start < records; start += CHUNK) {
      const rows: OutboxRow[] = [];
      sim.transaction(() => {
        for (let i = start; i < Math.min(records, start + CHUNK); i++) {
          const unit = units[i % units.length].code;
          let slot = (i * 7919) % 1000;
          const cls = MIX.find(([, n]) => (slot -= n) < 0)![0];
          expected[cls]++;
          // A third of the people have an older version the gateway delivered before.
          if (cls !== 'unknownToGateway' && i % 3 === 0) rows.push(row(record(i, unit, V_OLD), 'delivered'));
          switch (cls) {
            case 'complete':
              centre(record(i, unit, V1));
              rows.push(row(record(i, unit, V1), 'delivered'));
              break;
            case 'centreBehind':
              centre(record(i, unit, V1));
              rows.push(row(record(i, unit, V1), 'delivered'), row(record(i, unit, V2), i % 4 ? 'delivered' : 'dead'));
              break;
            case 'missingAtCentre':
              rows.push(row(record(i, unit, V1), i % 5 ? 'delivered' : 'queued'));
              break;
            case 'unknownToGateway':
              centre(record(i, unit, V1));
              if (i % 10 === 0) rows.push(row(record(i, unit, V1), 'rejected'));
              break;
            case 'centreAhead':
              centre(record(i, unit, V2));
              rows.push(row(record(i, unit, V1), 'delivered'));
              break;
            case 'differs':
              centre(record(i, unit, V1, 'Nguyen Van Duc'));
              rows.push(row(record(i, unit, V1), 'delivered'));
              break;
          }
        }
      });
      await ctx.store.db.transaction().execute(async (trx) => {
        for (let k = 0; k < rows.length; k += 500) await trx.insertInto('outbox').values(rows.slice(k, k + 500)).execute();
      });
      outboxRows += rows.length;
      if ((start / CHUNK) % 8 === 0) log(`seeded ${Math.min(records, start + CHUNK).toLocaleString('en')} people`);
    }
    sim.close();
  } finally {
    await closeContext(ctx);
  }
  return { expected, outboxRows, seedMs: performance.now() - t0 };
}

interface Measured {
  wallMs: number;
  inventoryMs: number;
  pages: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssMiB: number;
  report: ReconcileReport;
}

/** The child: one reconciliation, measured from inside (process.cpuUsage, getrusage maxRSS). */
async function measure(configFile: string, pageSize: number): Promise<void> {
  const config = loadConfig({ file: configFile, env: {} });
  const ctx = await openContext(config, { log: quietLogger() });
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let inventoryMs = 0;
    let pages = 0;
    const report = await reconcileUnit(ctx, ROOT, {
      pageSize,
      actor: 'bench',
      onPage: (page) => {
        pages = page;
        inventoryMs = performance.now() - t0;
      },
    });
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const out: Measured = { wallMs, inventoryMs, pages, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, report };
    process.send!(out);
  } finally {
    await closeContext(ctx);
  }
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--records <n>', 'people in the province', '200000')
    .option('--page-size <n>', 'inventory page size (the service default is 5000)', '5000')
    .option('--keep', 'keep the temporary directory')
    .option('--measure <configFile>', '(internal) run one measured reconciliation')
    .parse();
  const o = program.opts<{ records: string; pageSize: string; keep?: boolean; measure?: string }>();
  if (o.measure) return measure(o.measure, Number(o.pageSize));

  const records = Number(o.records);
  const pageSize = Number(o.pageSize);
  const startedAt = new Date();
  const loadStart = loadAverage();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-bench-reconcile-'));
  const simPort = await freePort();
  const configFile = path.join(dir, 'ndxp.config.json');
  writeFileSync(configFile, JSON.stringify({ dataDir: path.join(dir, 'data'), centralUrl: `https://127.0.0.1:${simPort}`, centralListen: `127.0.0.1:${simPort}`, centralToken: `bench-${randomBytes(12).toString('hex')}` }), { mode: 0o600 });
  try {
    log(`seeding ${records.toLocaleString('en')} people on both sides in ${dir}`);
    const seeded = await seed(configFile, records);
    log(`seeded in ${(seeded.seedMs / 1000).toFixed(1)} s (${seeded.outboxRows.toLocaleString('en')} outbox rows)`);

    const sim = await startServer({
      name: 'central-sim',
      cmd: process.execPath,
      args: [path.join(REPO_ROOT, 'bin/ndxp.js'), 'central-sim', '--config', configFile, '--no-control', '--matching-at', 'off', '--json'],
      env: { NDXP_CONFIG: configFile },
      logDir: dir,
      waitForJson: true,
    });
    try {
      const simBefore = snapshot(sim.pid);
      log('reconciling (child process, over mutual TLS)');
      const child = fork(fileURLToPath(import.meta.url), ['--measure', configFile, '--page-size', String(pageSize)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      const measured = await new Promise<Measured>((resolve, reject) => {
        let got: Measured | undefined;
        child.on('message', (m) => (got = m as Measured));
        child.on('error', reject);
        child.on('exit', (code) => (got && code === 0 ? resolve(got) : reject(new Error(`the measured run exited with ${code}`))));
      });
      const simAfter = snapshot(sim.pid);
      let simCpuS = 0;
      for (const [pid, s] of simAfter.cpu) simCpuS += s - (simBefore.cpu.get(pid) ?? 0);
      const loadEnd = loadAverage();
      const r = measured.report;
      const exact = CLASSES.every((c) => r[c] === seeded.expected[c]);
      const result = {
        startedAt: startedAt.toISOString(),
        command: `npm run bench:reconcile -- --records ${records} --page-size ${pageSize}`,
        machine: machine(),
        loadAverage: { start: loadStart, end: loadEnd },
        records,
        outboxRows: seeded.outboxRows,
        pageSize,
        seedSeconds: +(seeded.seedMs / 1000).toFixed(1),
        wallSeconds: +(measured.wallMs / 1000).toFixed(2),
        inventorySeconds: +(measured.inventoryMs / 1000).toFixed(2),
        pages: measured.pages,
        cpuSeconds: { user: +(measured.cpuUserMs / 1000).toFixed(2), system: +(measured.cpuSystemMs / 1000).toFixed(2) },
        peakRssMiB: +measured.maxRssMiB.toFixed(1),
        simulatorCpuSeconds: +simCpuS.toFixed(2),
        counts: Object.fromEntries(['total', ...CLASSES, 'resent', 'share'].map((k) => [k, r[k as keyof ReconcileReport]])),
        expected: seeded.expected,
        exact,
      };
      const file = writeJsonReport('reconcile-', result, startedAt);
      const lines = [
        `Reconciliation of ${records.toLocaleString('en')} people (${seeded.outboxRows.toLocaleString('en')} outbox rows), page size ${pageSize}, ${measured.pages} pages`,
        ...machineLines(result.machine),
        `- load average at start ${loadStart.join(' ')}, at end ${loadEnd.join(' ')}`,
        `wall time         ${result.wallSeconds} s (inventory paging ${result.inventorySeconds} s, comparison ${(result.wallSeconds - result.inventorySeconds).toFixed(2)} s)`,
        `CPU (this process) ${result.cpuSeconds.user} s user + ${result.cpuSeconds.system} s system; simulator ${result.simulatorCpuSeconds} s`,
        `peak RSS          ${result.peakRssMiB} MiB`,
        `counts            ${JSON.stringify(result.counts)}`,
        `every class found exactly: ${exact ? 'yes' : `NO (expected ${JSON.stringify(seeded.expected)})`}`,
        `report: ${path.relative(REPO_ROOT, file)}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
      if (!exact) process.exitCode = 1;
    } finally {
      await sim.stop();
    }
  } finally {
    if (o.keep) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
