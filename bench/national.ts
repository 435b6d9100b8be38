/**
 * `npm run bench:national`: the first full synchronisation of the national database, 2,073,460
 * generated records (bench/lib/national-gen.ts: deterministic, varied Vietnamese names, some
 * installations in TCVN3, 1 % invalid on purpose, units of all 34 provinces under old and new
 * codes), sent through the vendor fronts by one key per province as fast as the gateway answers,
 * while the central simulator goes DOWN for two minutes in the middle. Then it waits until the
 * outbox is drained and compares what the gateway accepted with what the simulator applied.
 *
 *   node dist/bench/national.js [--records N] [--outage-seconds 120] [--senders 2]
 *     [--concurrency 8] [--batch 100] [--workers N] [--seed 20250701] [--database-url URL]
 *     [--nodes N]
 *
 * `--nodes 2` (with `--database-url` and REDIS_URL) starts two gateway nodes sharing the store,
 * the queue and the limits, as two machines would; the sender processes are split between them.
 *
 * Report: bench/results/national-<timestamp>.json and the `national` section of BENCHMARKS.md.
 */
import { Command } from 'commander';
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareDeployment, UNTHROTTLED } from './lib/setup.js';
import { startServer, freePort, type Server } from './lib/processes.js';
import { buildCountry, generateRecord, NATIONAL_TOTAL } from './lib/national-gen.js';
import { machine, writeJsonReport, updateBenchmarksSection, mdTable, machineLines, REPO_ROOT } from './lib/report.js';
import { loadAverage, snapshot, cpuCores, memorySampler } from './lib/procstat.js';
import { simControl } from '../central-sim/control.js';
import { loadConfig } from '../config/config.js';
import { openContext, closeContext } from '../gateway/context.js';
import { quietLogger } from '../core/log.js';
import { queueStatus } from '../gateway/delivery/status.js';
import { rowsInStates } from '../gateway/delivery/outbox.js';
import { OUTCOME, type SenderJob, type SenderProvince, type SenderResult } from './national-sender.js';

interface Options {
  records: string;
  outageSeconds: string;
  senders: string;
  concurrency: string;
  batch: string;
  workers?: string;
  seed: string;
  invalidRate: string;
  drainTimeout: string;
  databaseUrl?: string;
  nodes: string;
  keep?: boolean;
  render?: string;
}

const log = (line: string) => process.stderr.write(`[national ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const SENDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'national-sender.js');

function redisInfo(section: string): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const p = spawn('redis-cli', ['-h', url.hostname, '-p', url.port || '6379', 'INFO', section], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', () => resolve({}));
    p.on('close', () => {
      const info: Record<string, string> = {};
      for (const line of out.split(/\r?\n/)) {
        const k = line.indexOf(':');
        if (k > 0) info[line.slice(0, k)] = line.slice(k + 1);
      }
      resolve(info);
    });
  });
}

/** The control listener may close an idle keep-alive connection just as it is reused: try again. */
async function retrying<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 500 * i));
    }
  }
}

function mergeCounts(list: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of list) for (const [k, v] of Object.entries(m ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

function dirBytes(dir: string, match: RegExp): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    if (match.test(name)) total += statSync(path.join(dir, name)).size;
  }
  return total;
}

function runSender(job: SenderJob, onProgress: (n: number) => void): { pid: number; done: Promise<SenderResult> } {
  const child = fork(SENDER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const done = new Promise<SenderResult>((resolve, reject) => {
    let finished = false;
    child.on('message', (m: { progress?: number; result?: SenderResult; error?: string }) => {
      if (m.progress !== undefined) onProgress(m.progress);
      if (m.result) {
        finished = true;
        resolve(m.result);
      }
      if (m.error) {
        finished = true;
        reject(new Error(m.error));
      }
    });
    child.once('exit', (code) => !finished && reject(new Error(`sender exited with ${code}`)));
  });
  child.send(job);
  return { pid: child.pid!, done };
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench:national')
    .description('National synchronisation: generated records through the vendor fronts, with a central outage in the middle')
    .option('--records <n>', 'records to send (the full run is 2,073,460)', String(NATIONAL_TOTAL))
    .option('--outage-seconds <s>', 'how long the central simulator is down, starting when half the records were sent', '120')
    .option('--senders <n>', 'sender processes (the provinces are split between them)', '2')
    .option('--concurrency <n>', 'calls in flight per sender process', '8')
    .option('--batch <n>', 'records per call', '100')
    .option('--workers <n>', 'gateway data-plane workers (default: cores)')
    .option('--seed <n>', 'generator seed', '20250701')
    .option('--invalid-rate <r>', 'share of records invalid on purpose', '0.01')
    .option('--drain-timeout <s>', 'give up waiting for the outbox after this long', '3600')
    .option('--database-url <url>', 'PostgreSQL for the gateway instead of SQLite')
    .option('--nodes <n>', 'gateway nodes sharing the store (more than one needs --database-url and REDIS_URL)', '1')
    .option('--keep', 'keep the temporary directory')
    .option('--render <report.json>', 'only rewrite the BENCHMARKS.md section of an existing report')
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<Options>();
  if (o.render) {
    const r = JSON.parse(readFileSync(o.render, 'utf8'));
    const md = renderNational(r, path.relative(REPO_ROOT, path.resolve(o.render)));
    updateBenchmarksSection(r.options.records === NATIONAL_TOTAL ? 'national' : `national-${r.options.records}`, md);
    process.stdout.write(md + '\n');
    return;
  }
  const total = Number(o.records);
  const seed = Number(o.seed);
  const invalidRate = Number(o.invalidRate);
  const workers = Number(o.workers) || os.availableParallelism();
  const senders = Number(o.senders);
  const outageMs = Number(o.outageSeconds) * 1000;
  const nodes = Number(o.nodes);
  if (!Number.isInteger(nodes) || nodes < 1) throw new Error('--nodes: a whole number ≥ 1');
  // Several nodes share what several machines would: the PostgreSQL store and Redis (queue, limits).
  if (nodes > 1 && (!o.databaseUrl || !process.env.REDIS_URL)) throw new Error('--nodes > 1 needs --database-url and REDIS_URL');
  const startedAt = new Date();
  const loadStart = loadAverage();
  log(`command: node dist/bench/national.js ${argv.slice(2).join(' ')}`);
  log(`${total.toLocaleString('en-US')} records (${total === NATIONAL_TOTAL ? 'FULL run' : 'partial run'}); load average ${loadStart.join(' ')}`);

  const country = buildCountry();
  const oldCodes3 = country.provinces.flatMap((p) => p.old.map((x) => x.code3)).sort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-national-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  const ports = { gateway: await freePort(), admin: await freePort(), sim: await freePort(), simControl: await freePort(), nginx: 0 };
  log(`preparing the deployment (34 keys, 34 signing certificates, ${country.rules.length} re-mapping rules, ${country.tree.length} units) in ${dir}`);
  const schema = `ndxp_national_${Date.now().toString(36)}`;
  const d = await prepareDeployment({
    dir,
    ports,
    workers,
    clients: country.provinces.map((p) => ({
      name: `p${p.code}`,
      softwareId: `PM-${p.vendor === 'vendor-a-asmx' ? 'A' : 'B'}-${p.code}`,
      unitCode: `000.00.00.${p.old[0].level1}`,
      vendor: p.vendor,
      encoding: p.encoding,
    })),
    signingUnits: country.provinces.map((p) => p.unitRoot),
    remap: { rules: country.rules },
    tree: country.tree,
    config: {
      rateLimit: UNTHROTTLED,
      ...(o.databaseUrl ? { databaseUrl: o.databaseUrl, databaseSchema: schema } : {}),
    },
  });

  const servers: Server[] = [];
  const node = process.execPath;
  const ndxp = path.join(REPO_ROOT, 'bin', 'ndxp.js');
  const ctx = await openContext(loadConfig({ file: d.configFile, env: d.env }), { log: quietLogger() });
  try {
    const sim = await startServer({ name: 'central-sim', cmd: node, args: [ndxp, 'central-sim', '--control-listen', `127.0.0.1:${ports.simControl}`, '--json'], env: d.env, logDir, waitForJson: true });
    servers.push(sim);
    const control = simControl(`http://127.0.0.1:${ports.simControl}`);
    // Node 1 listens where the deployment says; each further node on its own ports, under its own name.
    const gatewayPorts = [ports.gateway];
    const gateways: Server[] = [];
    for (let i = 0; i < nodes; i++) {
      const own: Record<string, string> = i === 0 ? {} : { NDXP_LISTEN: `127.0.0.1:${(gatewayPorts[i] = await freePort())}`, NDXP_ADMIN_LISTEN: `127.0.0.1:${await freePort()}` };
      const env: Record<string, string> = { ...d.env, NDXP_WORKERS: String(workers), ...(nodes > 1 ? { NDXP_NODE_NAME: `node-${i + 1}` } : {}), ...own };
      const gw = await startServer({ name: nodes > 1 ? `gateway-${i + 1}` : 'gateway', cmd: node, args: [ndxp, 'start', '--json'], env, logDir, waitForJson: true, timeoutMs: 120_000 });
      servers.push(gw);
      gateways.push(gw);
      log(`gateway ${gw.command}`);
    }

    const redisStart = Number((await redisInfo('memory')).used_memory ?? 0);
    const provinces: SenderProvince[] = country.provinces.map((p) => {
      const c = d.clients[`p${p.code}`];
      return { index: p.index, key: c.connectionKey, softwareId: c.softwareId, sendingUnit: c.unitCode, vendor: p.vendor, encoding: p.encoding, certFile: c.certFile, keyFile: c.keyFile };
    });
    const progress = new Array<number>(senders).fill(0);
    const sent = () => progress.reduce((a, b) => a + b, 0);
    const t0 = Date.now();
    const gwCpu0 = gateways.map((g) => snapshot(g.pid));
    const simCpu0 = snapshot(sim.pid);
    const gwMem = gateways.map((g) => memorySampler(g.pid, 1000));
    const simMem = memorySampler(sim.pid, 1000);
    const runs = Array.from({ length: senders }, (_, w) =>
      runSender(
        { url: `https://127.0.0.1:${gatewayPorts[w % nodes]}`, ca: d.files.ca, seed, total, invalidRate, batch: Number(o.batch), concurrency: Number(o.concurrency), provinces: provinces.filter((p) => p.index % senders === w), oldCodes3 },
        (n) => (progress[w] = n),
      ),
    );
    const senderCpu0 = runs.map((r) => snapshot(r.pid));

    // ---- monitor: outage in the middle, backlog peak, delivery progress ----------------------
    let outage: { startedAtS: number; endsAtS: number } | undefined;
    let peak = { waiting: 0, atS: 0, redisUsedBytes: 0, redisDeltaBytes: 0, storeBytes: 0, outboxDepth: {} as Record<string, number> };
    let maxRedis = 0;
    let maxStore = 0;
    let sendingDone = false;
    let sendingWallS = 0;
    const timeline: { t: number; sent: number; applied: number; waiting: number }[] = [];
    const storeBytes = () => (o.databaseUrl ? 0 : dirBytes(d.dataDir, /\.(sqlite|db)(-wal|-shm)?$/));
    const all = Promise.all(runs.map((r) => r.done)).then((results) => {
      sendingDone = true;
      sendingWallS = (Date.now() - t0) / 1000;
      return results;
    });
    let lastApplied = -1;
    let lastChangeAt = Date.now();
    let results: SenderResult[] | undefined;
    let acceptedTotal = Infinity;
    const drainDeadline = () => Date.now() > t0 + Number(o.drainTimeout) * 1000 + (sendingWallS || 0) * 1000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 2000));
      const tS = (Date.now() - t0) / 1000;
      if (!outage && sent() >= total / 2 && outageMs > 0) {
        await retrying(() => control.setFaults({ down: { mode: 'refuse', forMs: outageMs } }));
        outage = { startedAtS: +tS.toFixed(1), endsAtS: +(tS + outageMs / 1000).toFixed(1) };
        log(`central simulator DOWN for ${outageMs / 1000} s (after ${sent()} records sent)`);
      }
      const stats = await retrying(() => control.stats({ summary: true }));
      const applied = stats.profiles.created;
      if (applied !== lastApplied) {
        lastApplied = applied;
        lastChangeAt = Date.now();
      }
      const q = await queueStatus(ctx, { redis: false }).catch(() => undefined);
      const waiting = q?.waiting ?? 0;
      const redisUsed = Number((await redisInfo('memory')).used_memory ?? 0);
      const store = storeBytes();
      maxRedis = Math.max(maxRedis, redisUsed);
      maxStore = Math.max(maxStore, store);
      if (waiting >= peak.waiting) peak = { waiting, atS: +tS.toFixed(1), redisUsedBytes: redisUsed, redisDeltaBytes: redisUsed - redisStart, storeBytes: store, outboxDepth: q?.depth ?? {} };
      timeline.push({ t: +tS.toFixed(1), sent: sent(), applied, waiting });
      if (timeline.length % 5 === 0) log(`t=${tS.toFixed(0)} s sent ${sent()} applied ${applied} waiting ${waiting}${outage && tS < outage.endsAtS ? ' (simulator down)' : ''}`);
      if (sendingDone && !results) {
        results = await all;
        acceptedTotal = results.reduce((s, r) => s + r.accepted, 0);
        log(`sending finished after ${sendingWallS.toFixed(1)} s; ${acceptedTotal} accepted; waiting for delivery`);
      }
      const outageOver = !outage || tS > outage.endsAtS || outageMs === 0;
      if (results && outageOver && waiting === 0 && applied >= acceptedTotal) break;
      if (results && drainDeadline()) {
        log('drain timeout reached');
        break;
      }
      if (results && outageOver && waiting === 0 && Date.now() - lastChangeAt > 60_000) {
        log('outbox empty and nothing applied for 60 s');
        break;
      }
    }
    results ??= await all;
    const wallToLastDeliveryS = (lastChangeAt - t0) / 1000;
    // The fronts must keep answering ("queued") while the centre is down: records answered in the
    // outage window, and the longest stretch of it with no answer at all.
    // (only while the senders still had records to send: after the last one nothing is asked).
    const inOutage = outage ? timeline.filter((p, i) => p.t >= outage!.startedAtS && p.t <= outage!.endsAtS && (i === 0 || timeline[i - 1].sent < total)) : [];
    let longestStallS = 0;
    for (let i = 1; i < inOutage.length; i++) {
      let j = i;
      while (j < inOutage.length && inOutage[j].sent === inOutage[i - 1].sent) j++;
      if (j > i) longestStallS = Math.max(longestStallS, +(inOutage[Math.min(j, inOutage.length - 1)].t - inOutage[i - 1].t).toFixed(1));
    }
    const duringOutage = inOutage.length > 1 ? { recordsAnswered: inOutage[inOutage.length - 1].sent - inOutage[0].sent, longestStallS } : undefined;
    // Per node, and the sum (several nodes stand for several machines: each has its own memory).
    const perNode = gateways.map((g, i) => ({ cpuCores: +cpuCores(gwCpu0[i], snapshot(g.pid)).toFixed(2), ...gwMem[i].stop() }));
    const gwUsage = { cpuCores: +perNode.reduce((s, u) => s + u.cpuCores, 0).toFixed(2), peakRssMiB: Math.max(...perNode.map((u) => u.peakRssMiB)), peakPssMiB: Math.max(...perNode.map((u) => u.peakPssMiB)), perNode };
    const simUsage = { cpuCores: +cpuCores(simCpu0, snapshot(sim.pid)).toFixed(2), ...simMem.stop() };
    void senderCpu0;

    // ---- proof: every valid record applied exactly once -----------------------------------------
    log('collecting the simulator\'s per-record counts');
    const full = await retrying(() => control.stats());
    const appliedBy = full.appliedBySoDinhDanh ?? {};
    const outcomes = new Uint8Array(total);
    for (const r of results) {
      const bytes = Buffer.from(r.outcomes, 'base64');
      for (let i = 0; i < total; i++) if (bytes[i]) outcomes[i] = bytes[i];
    }
    let expectedValid = 0;
    let invalidOnPurpose = 0;
    let acceptedAppliedOnce = 0;
    let acceptedMissing = 0;
    let acceptedDuplicated = 0;
    const acceptedIds = new Set<string>();
    const missingSamples: string[] = [];
    const missingIds: string[] = [];
    for (let i = 0; i < total; i++) {
      const r = generateRecord(country, seed, i, invalidRate, oldCodes3);
      if (r.invalid) invalidOnPurpose++;
      else expectedValid++;
      if (outcomes[i] !== OUTCOME.ACCEPTED) continue;
      acceptedIds.add(r.personalId);
      const n = appliedBy[r.personalId] ?? 0;
      if (n === 1) acceptedAppliedOnce++;
      else if (n === 0) {
        acceptedMissing++;
        missingIds.push(r.personalId);
        if (missingSamples.length < 5) missingSamples.push(r.personalId);
      } else acceptedDuplicated++;
    }
    // An accepted record the simulator never applied is either refused by the central database
    // after it was queued (the outbox says so, with the answer) or lost. Only the second is a
    // failure of the gateway's exactly-once delivery.
    const refusedByCentral: Record<string, number> = {};
    let lost = 0;
    if (acceptedMissing > 0) {
      const rows = await rowsInStates(ctx.store.db, ['rejected', 'dead', 'invalid'], ['subject_id', 'state', 'last_error']);
      const byId = new Map(rows.filter((row) => row.subject_id).map((row) => [row.subject_id as string, row]));
      for (const id of missingIds) {
        const row = byId.get(id);
        if (row) {
          const reason = `${row.state}: ${String(row.last_error ?? '').slice(0, 160)}`;
          refusedByCentral[reason] = (refusedByCentral[reason] ?? 0) + 1;
        } else lost++;
      }
    }
    const appliedNotAccepted = Object.keys(appliedBy).filter((id) => !acceptedIds.has(id)).length;
    const sum = (f: (r: SenderResult) => number) => results!.reduce((s, r) => s + f(r), 0);
    const report = {
      kind: 'national',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: `npm run bench:national -- ${argv.slice(2).join(' ')}`.trim(),
      run: total === NATIONAL_TOTAL ? 'full' : `partial: ${total} of ${NATIONAL_TOTAL} records`,
      options: { records: total, seed, invalidRate, senders, concurrencyPerSender: Number(o.concurrency), recordsPerCall: Number(o.batch), workers, outageSeconds: outageMs / 1000, store: o.databaseUrl ? 'PostgreSQL' : 'SQLite', nodes },
      machine: machine({ loadAverage: loadStart }),
      loadAverage: { start: loadStart, end: loadAverage() },
      commands: { centralSim: sim.command, gateways: gateways.map((g) => g.command) },
      outage,
      figures: {
        sendingWallS: +sendingWallS.toFixed(1),
        wallToLastDeliveryS: +wallToLastDeliveryS.toFixed(1),
        recordsPerSecondSending: +(total / Math.max(0.001, sendingWallS)).toFixed(1),
        recordsPerSecondEndToEnd: +(acceptedAppliedOnce / Math.max(0.001, wallToLastDeliveryS)).toFixed(1),
        /** The same with the outage's duration taken out (what the pipeline sustains while the central side is up). */
        recordsPerSecondExcludingOutage: +(acceptedAppliedOnce / Math.max(0.001, wallToLastDeliveryS - (outage ? outageMs / 1000 : 0))).toFixed(1),
        calls: sum((r) => r.calls),
        retriedCalls: sum((r) => r.retries),
        tcvn3Records: sum((r) => r.tcvn3Records),
        accepted: sum((r) => r.accepted),
        invalidReported: sum((r) => r.invalid),
        otherOutcomes: sum((r) => r.other),
        invalidOnPurpose,
        expectedValid,
        surprises: {
          acceptedInvalid: sum((r) => r.surprises.acceptedInvalid),
          refusedValid: sum((r) => r.surprises.refusedValid),
          samples: results.flatMap((r) => r.surprises.samples).slice(0, 10),
          refusedValidReasons: mergeCounts(results.map((r) => r.surprises.refusedValidReasons)),
        },
        retryReasons: mergeCounts(results.map((r) => r.retryReasons)),
        backlogPeak: peak,
        duringOutage,
        redisUsedMemoryMaxBytes: maxRedis,
        redisUsedMemoryAtStartBytes: redisStart,
        storeBytesMax: maxStore,
        gateway: gwUsage,
        simulator: simUsage,
      },
      proof: {
        simulatorProfilesStored: full.profiles.stored,
        simulatorCreated: full.profiles.created,
        simulatorDuplicatesApplied: full.duplicatesApplied,
        acceptedAppliedExactlyOnce: acceptedAppliedOnce,
        acceptedNeverApplied: acceptedMissing,
        acceptedThenRefusedByCentral: refusedByCentral,
        acceptedLost: lost,
        acceptedAppliedMoreThanOnce: acceptedDuplicated,
        appliedButNotAccepted: appliedNotAccepted,
        missingSamples,
        idempotency: full.idempotency,
        faultsInjected: full.faultsInjected,
        exactlyOnce: lost === 0 && acceptedDuplicated === 0 && appliedNotAccepted === 0 && full.duplicatesApplied === 0,
      },
      timeline,
    };
    const file = writeJsonReport('national-', report, startedAt);
    const md = renderNational(report, path.relative(REPO_ROOT, file));
    updateBenchmarksSection(total === NATIONAL_TOTAL ? 'national' : `national-${total}`, md);
    process.stdout.write(md + '\n');
    log(`report: ${file}`);
    await control.close();
  } finally {
    await closeContext(ctx).catch(() => undefined);
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

function renderNational(r: any, jsonFile: string): string {
  const f = r.figures;
  const p = r.proof;
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const n = (x: number) => x.toLocaleString('en-US');
  const extrapolated =
    r.run === 'full'
      ? ''
      : `A full run (2,073,460 records) at this run's rate with the central side up (${n(f.recordsPerSecondExcludingOutage)} records/s) would take about ${((2_073_460 / Math.max(1, f.recordsPerSecondExcludingOutage) + r.options.outageSeconds) / 3600).toFixed(1)} hours including the ${r.options.outageSeconds} s outage (linear extrapolation; the backlog and store grow with the run, so treat it as a lower bound).`;
  // employee[96]/… and employee[23]/… are the same refusal.
  const merged: Record<string, number> = {};
  for (const [k, v] of Object.entries((f.surprises.refusedValidReasons ?? {}) as Record<string, number>)) {
    const key = k.replace(/\[\d+\]/g, '[i]');
    merged[key] = (merged[key] ?? 0) + v;
  }
  const reasons = Object.entries(merged)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k, v]) => `${n(v)} × ${k}`)
    .join('; ');
  return [
    `## National synchronisation (last run ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${r.run})`,
    '',
    `Command: \`${r.command}\`. Report: \`${jsonFile}\`. ${r.options.senders} sender processes × ${r.options.concurrencyPerSender} calls in flight, ${r.options.recordsPerCall} records per call, ${r.options.nodes ?? 1} gateway node(s) × ${r.options.workers} workers, store ${r.options.store}; central simulator down for ${r.options.outageSeconds} s from t=${r.outage?.startedAtS ?? '–'} s.`,
    '',
    ...machineLines(r.machine),
    `- Load average at start ${r.loadAverage.start.join(' ')}, at end ${r.loadAverage.end.join(' ')}.`,
    '',
    mdTable(
      ['figure', 'value'],
      [
        ['records sent', n(r.options.records)],
        ['sending wall time', `${f.sendingWallS} s (${n(f.recordsPerSecondSending)} records/s accepted or refused by the gateway)`],
        ['wall time to the last delivery', `${f.wallToLastDeliveryS} s (${n(f.recordsPerSecondEndToEnd)} records/s end to end; ${n(f.recordsPerSecondExcludingOutage)} records/s with the outage's ${r.options.outageSeconds} s taken out)`],
        ['accepted by the gateway', n(f.accepted)],
        ['invalid records reported', `${n(f.invalidReported)} (invalid on purpose: ${n(f.invalidOnPurpose)})`],
        ['surprises (valid refused / invalid accepted)', `${n(f.surprises.refusedValid)} / ${n(f.surprises.acceptedInvalid)}${reasons ? ` (refusals: ${reasons})` : ''}`],
        ['records sent in TCVN3', n(f.tcvn3Records)],
        ['calls (of which retried: why)', `${n(f.calls)} (${n(f.retriedCalls)}${Object.keys(f.retryReasons ?? {}).length ? `: ${Object.entries(f.retryReasons as Record<string, number>).map(([k, v]) => `${n(v)} × ${k === '0' ? 'connection error' : `HTTP ${k}`}`).join(', ')}` : ''})`],
        ['records answered while the centre was down (longest stretch without an answer)', f.duringOutage ? `${n(f.duringOutage.recordsAnswered)} (${f.duringOutage.longestStallS} s)` : '–'],
        ['backlog peak (outbox waiting)', `${n(f.backlogPeak.waiting)} at t=${f.backlogPeak.atS} s`],
        ['Redis used_memory at the backlog peak (Δ since start)', `${mib(f.backlogPeak.redisUsedBytes)} (${mib(f.backlogPeak.redisDeltaBytes)}; the Redis is shared with other work on this machine)`],
        ['store size at the backlog peak / max', `${mib(f.backlogPeak.storeBytes)} / ${mib(f.storeBytesMax)}`],
        ['gateway CPU / peak RSS (PSS)', `${f.gateway.cpuCores} cores / ${f.gateway.peakRssMiB} MiB (${f.gateway.peakPssMiB ?? '–'} MiB)${f.gateway.perNode?.length > 1 ? ` (largest node; per node: ${f.gateway.perNode.map((u: { cpuCores: number; peakRssMiB: number }) => `${u.cpuCores} cores, ${u.peakRssMiB} MiB`).join(' / ')})` : ''}`],
        ['simulator: accepted records applied exactly once / never / more than once', `${n(p.acceptedAppliedExactlyOnce)} / ${n(p.acceptedNeverApplied)} / ${n(p.acceptedAppliedMoreThanOnce)}`],
        ['of those never applied: refused by the central database after queueing (outbox state: answer)', Object.entries(p.acceptedThenRefusedByCentral as Record<string, number>).map(([k, v]) => `${n(v)} × ${k}`).join('; ') || '0'],
        ['of those never applied: lost (no outbox verdict)', n(p.acceptedLost)],
        ['simulator: applied but not accepted; duplicatesApplied', `${n(p.appliedButNotAccepted)}; ${n(p.simulatorDuplicatesApplied)}`],
        ['exactly once (nothing lost, nothing applied twice)', p.exactlyOnce ? '**yes**' : '**NO**'],
      ],
    ),
    '',
    extrapolated.trim(),
  ].join('\n');
}

main(process.argv).catch((err: Error) => {
  process.stderr.write(`bench:national: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
