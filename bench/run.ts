/**
 * `npm run bench`: the gateway measured side by side with nginx (the ceiling for "terminate
 * mutual TLS and forward") in ONE run, on loopback, with the same central simulator as upstream,
 * the same CA, server certificate and client certificates, and the same load generator.
 *
 *   node dist/bench/run.js [--duration 10] [--quick] [--workers N] [--only id,id] [--keep]
 *
 * Layout (every box its own process, so CPU and peak memory come from /proc per process tree):
 *
 *   load generator(s) ──mTLS──▶ nginx            ──mTLS, keep-alive pool──▶ central simulator
 *   (autocannon, or the  ──mTLS──▶ gateway (ndxp start) ──────────────────▶ (ndxp central-sim)
 *    fresh-TLS client)
 *
 * Per scenario: a warm-up, then saturation (closed loop, as fast as the server answers), then a
 * fixed arrival rate of half the BASELINE's saturation (autocannon overallRate) for latency, and
 * when the scenario cannot even reach that rate, also half of its own saturation. Writes
 * bench/results/<timestamp>.json and the `side-by-side` section of BENCHMARKS.md.
 */
import { Command } from 'commander';
import { mkdtempSync, rmSync, readFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { prepareDeployment, SAMPLE_REMAP, SAMPLE_TREE, UNTHROTTLED, type Deployment } from './lib/setup.js';
import { startServer, freePort, shellLine, type Server } from './lib/processes.js';
import { ensureNginx, nginxVersion, startNginx } from './lib/nginx.js';
import { runLoad, type LoadOutcome } from './lib/load.js';
import { bodyBytes, largeVendorARequest, recordsPerRequest, type BodySpec } from './lib/bodies.js';
import { dongBoHoSoRequest, soapActionHeaders } from '../adapters/vendor-a-asmx/fixtures/requests.js';
import { machine, writeJsonReport, updateBenchmarksSection, mdTable, machineLines, REPO_ROOT } from './lib/report.js';
import { loadAverage } from './lib/procstat.js';
import { call } from './lib/call.js';
import { simControl } from '../central-sim/control.js';
import type { LoadJob } from './load-worker.js';

interface Options {
  duration: string;
  warmup?: string;
  quick?: boolean;
  workers?: string;
  only?: string;
  skip?: string;
  keep?: boolean;
  fairness: boolean;
  connections: string;
  freshProcesses: string;
  freshConcurrency: string;
  databaseUrl?: string;
}

type Target = 'nginx' | 'gateway';

interface Scenario {
  id: string;
  title: string;
  target: Target;
  body: BodySpec;
  fresh?: { resume: boolean };
  connections: number;
  payload: string;
  /** The nginx scenario this one is compared with. */
  baseline?: string;
  /** Also compared with this gateway scenario (transform vs pass-through, the WSO2 anchor). */
  alsoVs?: string;
}

interface PhaseFigures {
  offeredRate?: number;
  requestsPerSecond: number;
  recordsPerSecond?: number;
  ok: number;
  requests: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  latencyMs: LoadOutcome['result']['latencyMs'];
  sessionsReused?: number;
  handshakes?: number;
  loadGeneratorCores: number;
  usage: LoadOutcome['usage'];
  firstError?: string;
}

interface ScenarioReport {
  id: string;
  title: string;
  target: Target;
  payload: string;
  requestBytes: number;
  recordsPerRequest: number;
  connections: string;
  saturation: PhaseFigures;
  fixedRate?: PhaseFigures;
  fixedRateOwnHalf?: PhaseFigures;
  /** Records the simulator applied during the scenario (writes only). */
  appliedAtSimulator?: number;
  /** Server CPU (whole process tree, from /proc) per answered request and per record, at saturation, µs: the figure that carries across machines. */
  cpuUsPerRequest?: number;
  cpuUsPerRecord?: number;
  /** requests: req/s ÷ the baseline's req/s; records (writes): records/s ÷ the baseline's req/s, i.e.
   *  how many records the gateway takes in while nginx forwards one read. */
  ratio?: { vs: string; requests: number; records?: number; cpuPerRequest?: number };
  ratioVsPassThrough?: { vs: string; requests: number; records?: number };
}

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function figures(o: LoadOutcome, recordsPerReq: number, offeredRate?: number): PhaseFigures {
  const r = o.result;
  const rps = r.ok / Math.max(0.001, r.durationS);
  return {
    ...(offeredRate ? { offeredRate: Math.round(offeredRate) } : {}),
    requestsPerSecond: +rps.toFixed(1),
    ...(recordsPerReq ? { recordsPerSecond: +(rps * recordsPerReq).toFixed(1) } : {}),
    ok: r.ok,
    requests: r.requests,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    statusCodes: r.statusCodes,
    latencyMs: r.latencyMs,
    ...(r.mode === 'fresh' ? { sessionsReused: r.sessionsReused, handshakes: r.handshakes } : {}),
    loadGeneratorCores: o.loadGeneratorCores,
    usage: o.usage,
    ...(r.firstError ? { firstError: r.firstError } : {}),
  };
}

function redisVersion(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const p = spawn('redis-cli', ['INFO', 'server'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('error', () => resolve(undefined));
    p.on('close', () => resolve(/redis_version:(\S+)/.exec(out)?.[1]));
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

async function dropSchema(url: string, schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('bench')
    .description('ndxp-gateway side by side with nginx mTLS (same simulator, certificates and load generator)')
    .option('--duration <s>', 'seconds per measured phase', '10')
    .option('--warmup <s>', 'seconds of warm-up before each scenario (default: duration/3, at least 2)')
    .option('--quick', 'short phases (3 s) for a smoke run')
    .option('--workers <n>', 'gateway data-plane workers and nginx worker_processes (default: cores)')
    .option('--only <ids>', 'comma-separated scenario ids to run (baselines they need are added)')
    .option('--skip <ids>', 'comma-separated scenario ids to leave out')
    .option('--no-fairness', 'skip the rate-limit fairness test')
    .option('--connections <n>', 'keep-alive connections for the light scenarios', '64')
    .option('--fresh-processes <n>', 'processes of the new-connection-per-request client', '2')
    .option('--fresh-concurrency <n>', 'requests in flight per such process', '16')
    .option('--database-url <url>', 'run the gateway on this PostgreSQL (a fresh schema, dropped afterwards) instead of SQLite')
    .option('--keep', 'keep the temporary directory (logs, configuration)')
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<Options>();
  const duration = o.quick ? 3 : Number(o.duration);
  const warmup = o.warmup ? Number(o.warmup) : Math.max(o.quick ? 1 : 2, Math.round(duration / 3));
  const workers = Number(o.workers) || os.availableParallelism();
  const conns = Number(o.connections);
  const freshProcesses = Number(o.freshProcesses);
  const freshConcurrency = Number(o.freshConcurrency);
  const startedAt = new Date();
  const loadStart = loadAverage();
  const commandLine = `node dist/bench/run.js ${argv.slice(2).join(' ')}`.trim();
  log(`command: ${commandLine}`);
  log(`load average at start: ${loadStart.join(' ')}`);

  const nginx = ensureNginx(log);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-bench-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  const benchSchema = `ndxp_bench_${Date.now().toString(36)}`;
  const ports = { gateway: await freePort(), admin: await freePort(), sim: await freePort(), simControl: await freePort(), nginx: await freePort() };
  log(`preparing a fresh deployment in ${dir}`);
  const d = await prepareDeployment({
    dir,
    ports,
    workers,
    clients: [
      { name: 'json', softwareId: 'BENCH-JSON', unitCode: '000.00.00.H03', vendor: 'json' },
      { name: 'vendor-a', softwareId: 'BENCH-A', unitCode: '000.00.00.H03', vendor: 'vendor-a-asmx' },
      { name: 'vendor-b', softwareId: 'BENCH-B', unitCode: '000.00.00.H03', vendor: 'vendor-b-jaxws' },
      { name: 'fair-normal', softwareId: 'BENCH-NORMAL', unitCode: '000.05.31.H03', vendor: 'json', limits: { requestsPerSecond: 100, concurrentPerKey: 16 } },
      { name: 'fair-noisy', softwareId: 'BENCH-NOISY', unitCode: '000.00.00.H03', vendor: 'json', limits: { requestsPerSecond: 50, burstSeconds: 2, concurrentPerKey: 16 } },
    ],
    signingUnits: ['000.00.00.H06', '000.05.31.H06'],
    remap: SAMPLE_REMAP,
    tree: SAMPLE_TREE,
    config: { rateLimit: UNTHROTTLED, ...(o.databaseUrl ? { databaseUrl: o.databaseUrl, databaseSchema: benchSchema } : {}) },
  });

  const servers: Server[] = [];
  const stopAll = async () => {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
  };
  const node = process.execPath;
  const ndxp = path.join(REPO_ROOT, 'bin', 'ndxp.js');
  // Ctrl+C: stop the servers this run started before leaving.
  const onSignal = () => {
    log('interrupted: stopping the servers');
    void stopAll().finally(() => {
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log('starting the central simulator');
    const sim = await startServer({
      name: 'central-sim',
      cmd: node,
      args: [ndxp, 'central-sim', '--control-listen', `127.0.0.1:${ports.simControl}`, '--json'],
      env: d.env,
      logDir,
      waitForJson: true,
    });
    servers.push(sim);
    const control = simControl(`http://127.0.0.1:${ports.simControl}`);

    log(`starting the gateway (${workers} data-plane workers)`);
    const gateway = await startServer({ name: 'gateway', cmd: node, args: [ndxp, 'start', '--json'], env: { ...d.env, NDXP_WORKERS: String(workers) }, logDir, waitForJson: true, timeoutMs: 120_000 });
    servers.push(gateway);
    const gwUrl = `https://127.0.0.1:${ports.gateway}`;

    // Seed the records the read scenarios fetch (through the gateway, as a client would).
    const SMALL_ID = '024085999001';
    const LARGE_ID = '024085999002';
    const keyA = d.clients['vendor-a'].connectionKey;
    for (const [id, body] of [
      [SMALL_ID, dongBoHoSoRequest({ key: keyA, unitCode: '000.00.00.H03', personalId: SMALL_ID })],
      [LARGE_ID, largeVendorARequest(keyA, '000.00.00.H03', LARGE_ID)],
    ] as const) {
      const r = await call(gwUrl, d, 'vendor-a', { path: '/QLCBService.asmx', headers: soapActionHeaders('DongBoHoSo'), body });
      if (r.status !== 200 || !r.text.includes('<MaKetQua>0</MaKetQua>')) throw new Error(`seeding ${id} through vendor A failed (${r.status}): ${r.text.slice(0, 800)}`);
    }
    const jsonHeaders = { 'x-connection-key': d.clients.json.connectionKey };
    const probe = await call(gwUrl, d, 'json', { path: `/api/v1/profiles/${LARGE_ID}`, headers: jsonHeaders });
    if (probe.status !== 200) throw new Error(`pass-through probe failed (${probe.status}): ${probe.text.slice(0, 500)}`);
    const largeProfileBytes = Buffer.byteLength(probe.text);
    log(`seeded; the 100 kB profile is ${largeProfileBytes} bytes of JSON`);

    log('starting nginx');
    const ngx = await startNginx({ binary: nginx.binary, dir, port: ports.nginx, workers, upstreamPort: ports.sim, files: d.files, centralToken: d.centralToken, unitCode: '000.00.00.H06', logDir });
    servers.push(ngx);
    const ngxUrl = `https://127.0.0.1:${ports.nginx}`;
    const np = await call(ngxUrl, d, 'json', { path: `/api/v1/profiles/${SMALL_ID}` });
    if (np.status !== 200) throw new Error(`nginx probe failed (${np.status}): ${np.text.slice(0, 500)}`);

    // ---- scenarios ------------------------------------------------------------------------
    let idBase = 0;
    const nextIds = (span = 200_000) => {
      const b = idBase;
      idBase += span;
      return b;
    };
    const get = (id: string, withKey: boolean): BodySpec => ({ kind: 'get', path: `/api/v1/profiles/${id}`, ...(withKey ? { headers: jsonHeaders } : {}) });
    const vendorA = (large = false): BodySpec => ({ kind: 'vendor-a', key: keyA, unitCode: '000.00.00.H03', idBase: 0, large });
    const vendorB: BodySpec = { kind: 'vendor-b', key: d.clients['vendor-b'].connectionKey, softwareId: 'BENCH-B', unitCode: '000.00.00.H03', records: 100, idBase: 0 };
    const scenarios: Scenario[] = [
      { id: 'nginx-get', title: 'nginx mTLS → simulator, GET profile (baseline)', target: 'nginx', body: get(SMALL_ID, false), connections: conns, payload: 'sample' },
      { id: 'gw-get', title: 'gateway JSON pass-through, GET profile', target: 'gateway', body: get(SMALL_ID, true), connections: conns, payload: 'sample', baseline: 'nginx-get' },
      { id: 'nginx-get-100k', title: 'nginx mTLS → simulator, GET 100 kB profile (baseline)', target: 'nginx', body: get(LARGE_ID, false), connections: conns, payload: '100 kB' },
      { id: 'gw-get-100k', title: 'gateway JSON pass-through, GET 100 kB profile', target: 'gateway', body: get(LARGE_ID, true), connections: conns, payload: '100 kB', baseline: 'nginx-get-100k' },
      { id: 'gw-a', title: 'vendor A DongBoHoSo (parse, repair, validate, re-map, sign, deliver)', target: 'gateway', body: vendorA(), connections: conns, payload: 'sample', baseline: 'nginx-get', alsoVs: 'gw-get' },
      { id: 'gw-a-100k', title: 'vendor A DongBoHoSo, one 100 kB record', target: 'gateway', body: vendorA(true), connections: Math.min(conns, 32), payload: '100 kB', baseline: 'nginx-get-100k', alsoVs: 'gw-get-100k' },
      { id: 'gw-b-100', title: 'vendor B submitRecords, 100 records per call', target: 'gateway', body: vendorB, connections: Math.min(conns, 16), payload: 'sample × 100', baseline: 'nginx-get', alsoVs: 'gw-get' },
      { id: 'nginx-get-new', title: 'nginx, GET profile, new TLS connection per request (baseline)', target: 'nginx', body: get(SMALL_ID, false), fresh: { resume: false }, connections: freshProcesses * freshConcurrency, payload: 'sample' },
      { id: 'nginx-get-new-resumed', title: 'nginx, GET profile, new connection per request with TLS session resumption (baseline)', target: 'nginx', body: get(SMALL_ID, false), fresh: { resume: true }, connections: freshProcesses * freshConcurrency, payload: 'sample' },
      { id: 'gw-get-new', title: 'gateway pass-through, new TLS connection per request', target: 'gateway', body: get(SMALL_ID, true), fresh: { resume: false }, connections: freshProcesses * freshConcurrency, payload: 'sample', baseline: 'nginx-get-new' },
      { id: 'gw-get-new-resumed', title: 'gateway pass-through, new connection per request with session resumption', target: 'gateway', body: get(SMALL_ID, true), fresh: { resume: true }, connections: freshProcesses * freshConcurrency, payload: 'sample', baseline: 'nginx-get-new-resumed' },
      { id: 'gw-a-new', title: 'vendor A DongBoHoSo, new TLS connection per request', target: 'gateway', body: vendorA(), fresh: { resume: false }, connections: freshProcesses * freshConcurrency, payload: 'sample', baseline: 'nginx-get-new', alsoVs: 'gw-get-new' },
      { id: 'gw-a-new-resumed', title: 'vendor A DongBoHoSo, new connection per request with session resumption', target: 'gateway', body: vendorA(), fresh: { resume: true }, connections: freshProcesses * freshConcurrency, payload: 'sample', baseline: 'nginx-get-new-resumed', alsoVs: 'gw-get-new-resumed' },
    ];
    let chosen = scenarios;
    if (o.only) {
      const want = new Set(o.only.split(',').map((s) => s.trim()));
      for (const s of scenarios) if (want.has(s.id) && s.baseline) want.add(s.baseline);
      chosen = scenarios.filter((s) => want.has(s.id));
    }
    if (o.skip) {
      const drop = new Set(o.skip.split(',').map((s) => s.trim()));
      chosen = chosen.filter((s) => !drop.has(s.id));
    }

    const pids = { gateway: gateway.pid, nginx: ngx.pid, sim: sim.pid };
    const jobsFor = (s: Scenario, durationS: number, rate?: number): LoadJob[] => {
      const url = s.target === 'nginx' ? ngxUrl : gwUrl;
      const client = s.body.kind === 'vendor-a' ? d.clients['vendor-a'] : s.body.kind === 'vendor-b' ? d.clients['vendor-b'] : d.clients.json;
      const withIds = (b: BodySpec): BodySpec => (b.kind === 'get' ? b : { ...b, idBase: nextIds() });
      if (s.fresh) {
        return Array.from({ length: freshProcesses }, () => ({
          mode: 'fresh' as const,
          url,
          body: withIds(s.body),
          cert: client.certFile,
          key: client.keyFile,
          ca: d.files.ca,
          resume: s.fresh!.resume,
          concurrency: freshConcurrency,
          durationS,
          ...(rate ? { rate: rate / freshProcesses } : {}),
        }));
      }
      return [{ mode: 'autocannon', url, body: withIds(s.body), cert: client.certFile, key: client.keyFile, connections: s.connections, durationS, ...(rate ? { overallRate: Math.max(1, Math.round(rate)) } : {}) }];
    };

    const reports: ScenarioReport[] = [];
    const byId = new Map<string, ScenarioReport>();
    for (const s of chosen) {
      const rpr = recordsPerRequest(s.body);
      const trees = s.target === 'nginx' ? { nginx: pids.nginx, sim: pids.sim } : { gateway: pids.gateway, sim: pids.sim };
      log(`${s.id}: warm-up ${warmup} s`);
      await runLoad(jobsFor(s, warmup), {});
      const appliedBefore = rpr ? (await retrying(() => control.stats({ summary: true }))).profiles.created : 0;
      log(`${s.id}: saturation ${duration} s`);
      const sat = figures(await runLoad(jobsFor(s, duration), trees), rpr);
      log(`${s.id}: ${sat.requestsPerSecond} req/s${sat.recordsPerSecond ? ` (${sat.recordsPerSecond} records/s)` : ''}, p99 ${sat.latencyMs.p99} ms, non-2xx ${sat.non2xx}, errors ${sat.errors}; ${s.target} ${sat.usage[s.target]?.cpuCores} cores`);
      const report: ScenarioReport = {
        id: s.id,
        title: s.title,
        target: s.target,
        payload: s.payload,
        requestBytes: bodyBytes(s.body),
        recordsPerRequest: rpr,
        connections: s.fresh ? `${freshProcesses} processes × ${freshConcurrency} in flight, new TLS connection per request${s.fresh.resume ? ', session resumed' : ''}` : `${s.connections} keep-alive`,
        saturation: sat,
      };
      const serverCores = sat.usage[s.target]?.cpuCores;
      if (serverCores !== undefined && sat.requestsPerSecond > 0) {
        report.cpuUsPerRequest = Math.round((serverCores / sat.requestsPerSecond) * 1e6);
        if (rpr) report.cpuUsPerRecord = Math.round(report.cpuUsPerRequest / rpr);
      }
      const base = s.baseline ? byId.get(s.baseline) : undefined;
      const halfBaseline = (base ?? (s.target === 'nginx' ? report : undefined))?.saturation.requestsPerSecond;
      if (halfBaseline) {
        const rate = halfBaseline / 2;
        log(`${s.id}: fixed rate ${Math.round(rate)}/s (half the baseline's saturation) for ${duration} s`);
        report.fixedRate = figures(await runLoad(jobsFor(s, duration, rate), trees), rpr, rate);
        if (sat.requestsPerSecond < rate) {
          const own = Math.max(1, sat.requestsPerSecond / 2);
          log(`${s.id}: fixed rate ${Math.round(own)}/s (half its own saturation) for ${duration} s`);
          report.fixedRateOwnHalf = figures(await runLoad(jobsFor(s, duration, own), trees), rpr, own);
        }
      }
      if (rpr) {
        // Writes the gateway accepted but queued are delivered shortly after; wait for them.
        let applied = 0;
        const deadline = Date.now() + 60_000;
        for (;;) {
          applied = (await retrying(() => control.stats({ summary: true }))).profiles.created - appliedBefore;
          if (Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 1000));
          const again = (await retrying(() => control.stats({ summary: true }))).profiles.created - appliedBefore;
          if (again === applied) break;
        }
        report.appliedAtSimulator = applied;
      }
      if (base) {
        report.ratio = {
          vs: base.id,
          requests: +(sat.requestsPerSecond / base.saturation.requestsPerSecond).toFixed(3),
          ...(sat.recordsPerSecond ? { records: +(sat.recordsPerSecond / base.saturation.requestsPerSecond).toFixed(3) } : {}),
          ...(sat.usage.gateway && base.saturation.usage.nginx
            ? { cpuPerRequest: +((sat.usage.gateway.cpuCores / Math.max(1, sat.requestsPerSecond)) / (base.saturation.usage.nginx.cpuCores / Math.max(1, base.saturation.requestsPerSecond))).toFixed(2) }
            : {}),
        };
      }
      const pass = s.alsoVs ? byId.get(s.alsoVs) : undefined;
      if (pass)
        report.ratioVsPassThrough = {
          vs: pass.id,
          requests: +(sat.requestsPerSecond / pass.saturation.requestsPerSecond).toFixed(3),
          ...(sat.recordsPerSecond ? { records: +(sat.recordsPerSecond / pass.saturation.requestsPerSecond).toFixed(3) } : {}),
        };
      reports.push(report);
      byId.set(s.id, report);
    }

    // ---- fairness under abuse (bench/fairness.ts against this gateway) ----------------------
    let fairness: unknown;
    let fairnessCommand: string | undefined;
    if (o.fairness) {
      const n = d.clients['fair-normal'];
      const z = d.clients['fair-noisy'];
      const args = [
        path.join(REPO_ROOT, 'dist', 'bench', 'fairness.js'),
        '--url', gwUrl,
        '--path', `/api/v1/profiles/${SMALL_ID}`,
        '--ca', d.files.ca,
        '--normal-cert', n.certFile, '--normal-key', n.keyFile, '--normal-token', n.connectionKey, '--normal-rate', '20',
        '--noisy-cert', z.certFile, '--noisy-key', z.keyFile, '--noisy-token', z.connectionKey, '--noisy-limit', '50', '--factor', '10',
        '--duration', String(Math.max(duration, 5)),
        '--json',
      ];
      fairnessCommand = shellLine('node', args).replace(/(--(?:normal|noisy)-token) \S+/g, '$1 <KEYID.SECRET>');
      log(`fairness: ${fairnessCommand}`);
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(node, args, { stdio: ['ignore', 'pipe', 'inherit'] });
        let text = '';
        p.stdout.on('data', (c: Buffer) => (text += c.toString()));
        p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`fairness exited with ${code}`))));
      });
      fairness = JSON.parse(out);
    }

    const loadEnd = loadAverage();
    const m = machine({ nginx: nginxVersion(nginx.binary), redis: await redisVersion(), loadAverage: loadStart });
    const report = {
      kind: 'side-by-side',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      command: `npm run bench -- ${argv.slice(2).join(' ')}`.trim(),
      options: { durationS: duration, warmupS: warmup, quick: Boolean(o.quick), workers, connections: conns, freshProcesses, freshConcurrency },
      machine: m,
      loadAverage: { start: loadStart, end: loadEnd },
      loadGenerator: {
        keepAlive: `autocannon ${m.autocannon ?? ''} in one separate process (its CPU is reported per phase as loadGeneratorCores)`,
        newConnectionPerRequest: `bench/load-worker.ts 'fresh' mode: Node https.request({agent:false}) in ${freshProcesses} processes × ${freshConcurrency} in flight; resumption offers the last TLS session ticket back`,
      },
      setup: {
        store: o.databaseUrl ? `PostgreSQL (${new URL(o.databaseUrl).host}, schema ${benchSchema})` : 'SQLite in the temporary data directory',
        redis: process.env.REDIS_URL ? `Redis at ${process.env.REDIS_URL} (REDIS_URL set)` : 'embedded mode (no REDIS_URL: queue from the store, limits in memory)',
        largeProfileJsonBytes: largeProfileBytes,
        rateLimits: 'raised for the throughput keys (the limiter still runs on every request); the fairness keys have their own small limits',
        commands: { centralSim: sim.command, gateway: gateway.command, nginx: ngx.command, nginxConfig: readFileSync(ngx.configFile, 'utf8'), fairness: fairnessCommand },
      },
      scenarios: reports,
      fairness,
    };
    const jsonFile = writeJsonReport('', report, startedAt);
    // A partial or PostgreSQL run gets its own section, so it never replaces the full SQLite figures.
    const section = `side-by-side${o.databaseUrl ? '-postgresql' : ''}${o.only || o.skip || o.quick ? '-partial' : ''}`;
    updateBenchmarksSection(section, renderMarkdown(report, path.relative(REPO_ROOT, jsonFile)));
    log(`report: ${jsonFile}; BENCHMARKS.md updated`);
    process.stdout.write(renderMarkdown(report, path.relative(REPO_ROOT, jsonFile)) + '\n');
    await control.close();
  } finally {
    await stopAll();
    if (o.databaseUrl) await dropSchema(o.databaseUrl, benchSchema).catch((err: Error) => log(`could not drop schema ${benchSchema}: ${err.message}`));
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

type Report = {
  command: string;
  startedAt: string;
  options: { durationS: number; warmupS: number; workers: number };
  machine: ReturnType<typeof machine>;
  loadAverage: { start: number[]; end: number[] };
  scenarios: ScenarioReport[];
  fairness?: unknown;
  setup: { store: string; redis: string; commands: Record<string, string | undefined> };
};

function renderMarkdown(r: Report, jsonFile: string): string {
  const fx = (n: number | undefined, d = 0) => (n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
  const lat = (p?: PhaseFigures) => (p ? `${fx(p.offeredRate)}/s → ${fx(p.requestsPerSecond)}/s: ${fx(p.latencyMs.p50, 1)} / ${fx(p.latencyMs.p99, 1)} / ${fx(p.latencyMs.p99_9, 1)}` : '–');
  const rows = r.scenarios.map((s) => {
    const u = s.saturation.usage[s.target];
    return [
      `\`${s.id}\` ${s.title}`,
      s.connections,
      fx(s.saturation.requestsPerSecond),
      s.saturation.recordsPerSecond ? fx(s.saturation.recordsPerSecond) : '–',
      s.ratio ? `${s.ratio.requests.toFixed(2)}×${s.ratio.records !== undefined && s.recordsPerRequest > 1 ? ` (records: ${s.ratio.records.toFixed(2)}×)` : ''} ${s.ratio.vs}` : 'baseline',
      s.ratioVsPassThrough ? `${s.ratioVsPassThrough.requests.toFixed(2)}×${s.ratioVsPassThrough.records !== undefined && s.recordsPerRequest > 1 ? ` (records: ${s.ratioVsPassThrough.records.toFixed(2)}×)` : ''} ${s.ratioVsPassThrough.vs}` : '–',
      lat(s.fixedRate),
      lat(s.fixedRateOwnHalf),
      u ? `${u.cpuCores.toFixed(2)} / ${fx(u.peakRssMiB)} MiB${u.peakPssMiB ? ` (PSS ${fx(u.peakPssMiB)})` : ''}` : '–',
      s.cpuUsPerRequest !== undefined ? `${fx(s.cpuUsPerRequest)}${s.recordsPerRequest > 1 ? ` / ${fx(s.cpuUsPerRecord)}` : ''}` : '–',
      fx(s.saturation.usage.sim?.cpuCores, 2),
      fx(s.saturation.loadGeneratorCores, 2),
      `${s.saturation.non2xx + s.saturation.errors}${s.saturation.sessionsReused !== undefined ? `; resumed ${s.saturation.sessionsReused}/${s.saturation.handshakes}` : ''}${s.appliedAtSimulator !== undefined ? `; applied ${fx(s.appliedAtSimulator)}` : ''}`,
    ];
  });
  const headline = r.scenarios
    .filter((s) => s.ratio)
    .map((s) => {
      const multi = s.recordsPerRequest > 1;
      const main = multi ? `**${s.ratio!.records!.toFixed(2)}×** (records/s ÷ nginx req/s; calls: ${s.ratio!.requests.toFixed(3)}×)` : `**${s.ratio!.requests.toFixed(2)}×**`;
      const own = s.ratioVsPassThrough ? `, ${(multi ? s.ratioVsPassThrough.records! : s.ratioVsPassThrough.requests).toFixed(2)}× the gateway's own pass-through` : '';
      return `- \`${s.id}\` ${s.title}: ${main} nginx (\`${s.ratio!.vs}\`)${own}; ${s.saturation.requestsPerSecond.toLocaleString('en-US')} req/s${s.saturation.recordsPerSecond ? `, ${s.saturation.recordsPerSecond.toLocaleString('en-US')} records/s` : ''}, ${s.saturation.non2xx + s.saturation.errors} failed`;
    });
  const parts = [
    `## Side by side with nginx${r.setup.store.startsWith('PostgreSQL') ? ', gateway on PostgreSQL' : ''}${/--(only|skip|quick)/.test(r.command) ? ' (partial run)' : ''} (last run ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC)`,
    '',
    `Command: \`${r.command}\` (${r.options.durationS} s per phase, ${r.options.warmupS} s warm-up, ${r.options.workers} gateway workers / nginx worker_processes). Report: \`${jsonFile}\`.`,
    '',
    ...machineLines(r.machine),
    `- Load average at start ${r.loadAverage.start.join(' ')}, at end ${r.loadAverage.end.join(' ')} (the machine is shared; other work competes for the same cores).`,
    `- Gateway store: ${r.setup.store}; coordination: ${r.setup.redis}. Every request of a write scenario is a new record; \`applied\` is what the simulator stored (records the warm-up queued may land in the next scenario's count).`,
    '',
    'Headline ratios (requests/s at saturation, gateway ÷ nginx measured in the same run):',
    '',
    ...headline,
    '',
    mdTable(
      ['scenario', 'client', 'req/s', 'records/s', 'vs nginx', 'vs own pass-through', 'latency p50 / p99 / p99.9 ms at half the baseline\'s rate (offered → achieved)', 'same at half its own rate', 'server CPU cores / peak RSS (PSS: shared pages counted once)', 'server CPU µs per request (/ per record)', 'simulator cores', 'load-gen cores', 'non-2xx+errors; notes'],
      rows,
    ),
  ];
  if (r.fairness) {
    const f = r.fairness as { normalRate: number; noisy: { limit: number; factor: number; offered: number }; baseline: { latencyMs: Record<string, number> }; contended: { normal: { latencyMs: Record<string, number> } }; summary: Record<string, unknown> };
    parts.push(
      '',
      `Fairness (bench/fairness.ts against this gateway, GET pass-through): a well-behaved key at ${f.normalRate}/s, alone and while a noisy key sends ${f.noisy.offered}/s (${f.noisy.factor}× its limit of ${f.noisy.limit}/s).`,
      '',
      mdTable(
        ['', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
        [
          ['normal client alone', f.baseline.latencyMs.p50, f.baseline.latencyMs.p90, f.baseline.latencyMs.p99, f.baseline.latencyMs.max],
          ['normal client under hammer', f.contended.normal.latencyMs.p50, f.contended.normal.latencyMs.p90, f.contended.normal.latencyMs.p99, f.contended.normal.latencyMs.max],
        ],
      ),
      '',
      `Normal client refused: ${String(f.summary.normalRefused)}; noisy client refused: ${(Number(f.summary.noisyRefusedShare) * 100).toFixed(1)} %, accepted ${String(f.summary.noisyAcceptedPerSecond)}/s.`,
    );
  }
  parts.push('', 'Exact server commands of this run:', '', '```', r.setup.commands.centralSim ?? '', r.setup.commands.gateway ?? '', r.setup.commands.nginx ?? '', '```');
  return parts.join('\n');
}

main(process.argv).catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
