/**
 * `npm run bench:profile -- --scenario gw-a`: one scenario of `npm run bench` against a gateway
 * started under `node --cpu-prof`, to see where its CPU goes. The figure that survives a shared,
 * loaded machine is the server's CPU per request and per record (from /proc, whole process tree,
 * over the load window), not req/s; the profile's shares are meaningful under load too.
 *
 *   node dist/bench/profile.js --scenario gw-a|gw-b-100|gw-get [--duration 15] [--workers 1]
 *        [--connections 32] [--no-prof] [--out DIR]
 *
 * Writes DIR/<scenario>.top.txt (top frames by self time), DIR/<scenario>.svg (flame graph) and
 * DIR/<scenario>.json (figures + command); the raw .cpuprofile files stay in the temporary
 * directory (tens of MB). Every write is a new record; `applied` is what the simulator stored.
 */
import { Command } from 'commander';
import { copyFileSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UNTHROTTLED } from './lib/setup.js';
import { startBenchStack } from './lib/stack.js';
import { runLoad } from './lib/load.js';
import type { LoadJob } from './load-worker.js';
import { recordsPerRequest, type BodySpec } from './lib/bodies.js';
import { call } from './lib/call.js';
import { dongBoHoSoRequest, soapActionHeaders } from '../adapters/vendor-a-asmx/fixtures/requests.js';
import { loadAverage } from './lib/procstat.js';
import { REPO_ROOT } from './lib/report.js';
import { flameGraphSvg, readProfile, summarize, summaryText } from './lib/cpuprofile.js';
import { simControl } from '../central-sim/control.js';

interface Options {
  scenario: string;
  duration: string;
  workers: string;
  connections?: string;
  prof: boolean;
  out?: string;
  idBase: string;
  raw?: boolean;
  rate?: string;
}

const log = (line: string) => process.stderr.write(`[profile ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(argv: string[]): Promise<void> {
  const o = new Command('bench:profile')
    .option('--scenario <id>', 'gw-a (vendor A, one record per call), gw-b-100 (vendor B, 100 per call), gw-get (JSON pass-through) or gw-get-new (the same over a new TLS connection per request)', 'gw-a')
    .option('--duration <s>', 'seconds of measured load (after a 3 s warm-up)', '15')
    .option('--workers <n>', 'gateway data-plane workers (1: one process runs everything, one profile)', '1')
    .option('--connections <n>', 'keep-alive connections')
    .option('--no-prof', 'measure CPU per request without the profiler')
    .option('--out <dir>', 'where to write the top frames and the flame graph', 'bench/results/profiles')
    .option('--rate <n>', 'a fixed arrival rate (requests/s over all connections) instead of saturation: CPU per request compares better across runs on a busy machine')
    .option('--raw', 'also copy the raw .cpuprofile files into the output directory')
    .option('--id-base <n>', 'first personal-id number of the generated records', String(Date.now() % 1_000_000_000))
    .parse(argv)
    .opts<Options>();
  const duration = Number(o.duration);
  const workers = Number(o.workers);
  const loadStart = loadAverage();
  // The profiles are written when the gateway exits, after the stack's own directory is gone.
  const profDir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-profile-'));
  const stack = await startBenchStack({
    prefix: 'ndxp-profile-stack-',
    workers,
    clients: [
      { name: 'json', softwareId: 'BENCH-JSON', unitCode: '000.00.00.H03', vendor: 'json' },
      { name: 'vendor-a', softwareId: 'BENCH-A', unitCode: '000.00.00.H03', vendor: 'vendor-a-asmx' },
      { name: 'vendor-b', softwareId: 'BENCH-B', unitCode: '000.00.00.H03', vendor: 'vendor-b-jaxws' },
    ],
    config: { rateLimit: UNTHROTTLED },
    nodeArgs: o.prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [],
  }).catch((err: unknown) => {
    rmSync(profDir, { recursive: true, force: true });
    throw err;
  });
  const { d, gwUrl, gateway } = stack;
  try {
    const keyA = d.clients['vendor-a'].connectionKey;
    const SMALL_ID = '024085999001';
    const seeded = await call(gwUrl, d, 'vendor-a', { path: '/QLCBService.asmx', headers: soapActionHeaders('DongBoHoSo'), body: dongBoHoSoRequest({ key: keyA, unitCode: '000.00.00.H03', personalId: SMALL_ID }) });
    if (!seeded.text.includes('<MaKetQua>0</MaKetQua>')) throw new Error(`seeding failed (${seeded.status}): ${seeded.text.slice(0, 500)}`);

    let idBase = Number(o.idBase);
    const specs: Record<string, { body: () => BodySpec; client: string; connections: number; fresh?: boolean }> = {
      'gw-a': { body: () => ({ kind: 'vendor-a', key: keyA, unitCode: '000.00.00.H03', idBase: (idBase += 1_000_000) }), client: 'vendor-a', connections: 64 },
      'gw-b-100': {
        body: () => ({ kind: 'vendor-b', key: d.clients['vendor-b'].connectionKey, softwareId: 'BENCH-B', unitCode: '000.00.00.H03', records: 100, idBase: (idBase += 10_000_000) }),
        client: 'vendor-b',
        connections: 16,
      },
      'gw-get': { body: () => ({ kind: 'get', path: `/api/v1/profiles/${SMALL_ID}`, headers: { 'x-connection-key': d.clients.json.connectionKey } }), client: 'json', connections: 64 },
      'gw-get-new': { body: () => ({ kind: 'get', path: `/api/v1/profiles/${SMALL_ID}`, headers: { 'x-connection-key': d.clients.json.connectionKey } }), client: 'json', connections: 16, fresh: true },
    };
    const spec = specs[o.scenario];
    if (!spec) throw new Error(`unknown scenario ${o.scenario}`);
    const client = d.clients[spec.client];
    const connections = Number(o.connections ?? spec.connections);
    const rate = o.rate ? Number(o.rate) : undefined;
    const job = (s: number): LoadJob[] =>
      spec.fresh
        ? // A new TLS connection per request (no resumption), `connections` requests in flight.
          [{ mode: 'fresh', url: gwUrl, body: spec.body(), cert: client.certFile, key: client.keyFile, ca: d.files.ca, resume: false, concurrency: connections, durationS: s, ...(rate ? { rate } : {}) }]
        : [{ mode: 'autocannon', url: gwUrl, body: spec.body(), cert: client.certFile, key: client.keyFile, connections, durationS: s, ...(rate ? { overallRate: rate } : {}) }];
    log(`${o.scenario}: warm-up 3 s`);
    await runLoad(job(3), {});
    const control = simControl(stack.simControlUrl);
    const before = (await control.stats({ summary: true })).profiles.created;
    log(`${o.scenario}: ${duration} s of load over ${connections} keep-alive connections${rate ? ` at ${rate} requests/s` : ''}${o.prof ? ', profiling' : ''}`);
    const out = await runLoad(job(duration), { gateway: gateway.pid });
    const body = spec.body();
    const rpr = recordsPerRequest(body);
    let applied: number | undefined;
    if (rpr) {
      for (let last = -1; ; ) {
        await new Promise((r) => setTimeout(r, 1000));
        applied = (await control.stats({ summary: true })).profiles.created - before;
        if (applied === last) break;
        last = applied;
      }
    }
    await control.close();
    const g = out.usage.gateway;
    const rps = out.result.ok / out.result.durationS;
    const cpuUsPerRequest = (g.cpuCores / Math.max(1e-9, rps)) * 1e6;
    const figures = {
      scenario: o.scenario,
      command: `npm run bench:profile -- ${argv.slice(2).join(' ')}`.trim(),
      profiled: o.prof,
      workers,
      connections,
      offeredRate: rate ?? 'saturation',
      durationS: duration,
      loadAverage: { start: loadStart, end: loadAverage() },
      redis: d.env.REDIS_URL ? 'REDIS_URL set (queue and limits in Redis)' : 'embedded (no REDIS_URL)',
      requestsPerSecond: +rps.toFixed(1),
      ok: out.result.ok,
      failed: out.result.non2xx + out.result.errors + out.result.timeouts,
      gatewayCores: g.cpuCores,
      peakRssMiB: g.peakRssMiB,
      peakPssMiB: g.peakPssMiB,
      cpuUsPerRequest: Math.round(cpuUsPerRequest),
      ...(rpr ? { cpuUsPerRecord: Math.round(cpuUsPerRequest / rpr), recordsSent: out.result.ok * rpr, applied } : {}),
    };
    log(JSON.stringify(figures));
    await stack.stop();
    mkdirSync(path.resolve(REPO_ROOT, o.out!), { recursive: true });
    const outBase = path.resolve(REPO_ROOT, o.out!, o.scenario);
    writeFileSync(`${outBase}${o.prof ? '' : '.noprof'}.json`, JSON.stringify(figures, null, 2) + '\n');
    if (o.prof) {
      const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
      const profiles = files.map((f) => readProfile(path.join(profDir, f)));
      const title = `${o.scenario}: ${figures.requestsPerSecond} req/s, ${figures.cpuUsPerRequest} µs CPU per request${rpr ? ` (${figures.cpuUsPerRecord} µs per record)` : ''} under the profiler; ${files.length} process profile(s)`;
      const text = summaryText(summarize(profiles, REPO_ROOT), `${title}\ncommand: ${figures.command}\nload average at start ${loadStart.join(' ')}, at end ${figures.loadAverage.end.join(' ')}; ${figures.redis}`);
      writeFileSync(`${outBase}.top.txt`, text);
      if (o.raw) files.forEach((f, i) => copyFileSync(path.join(profDir, f), `${outBase}.${i}.cpuprofile`));
      writeFileSync(`${outBase}.svg`, flameGraphSvg(profiles, REPO_ROOT, title));
      process.stdout.write(text);
    }
  } finally {
    await stack.stop();
    rmSync(profDir, { recursive: true, force: true });
  }
}

main(process.argv).catch((err: Error) => {
  process.stderr.write(`profile: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
