/**
 * `npm run bench:overload`: a sustained overload, and what it does to the gateway's memory.
 *
 *   1. sustainable  vendor A DongBoHoSo (one new record per call) as fast as the gateway answers,
 *                   over 64 keep-alive connections: the rate R it sustains on this machine;
 *   2. overload     `--factor` × R offered for `--duration` seconds over `--connections`
 *                   connections (more connections than the gateway admits requests at once).
 *
 * While the overload runs, the gateway's process tree RSS is sampled every second, and a probe
 * client sends one call every 250 ms and keeps each answer: a refusal must come in the caller's
 * own protocol (a SOAP fault naming a catalogue code), never a cut connection or a 500 without
 * one. Reported: RSS over time (flat or growing), answers per second by kind, the probe's answers
 * by code, and how many records the simulator stored (nothing accepted may be lost).
 *
 *   node dist/bench/overload.js [--factor 10] [--duration 60] [--connections 512] [--workers 2]
 */
import { Command } from 'commander';
import path from 'node:path';
import { UNTHROTTLED } from './lib/setup.js';
import { startBenchStack } from './lib/stack.js';
import { runLoad } from './lib/load.js';
import { call } from './lib/call.js';
import { dongBoHoSoRequest, soapActionHeaders } from '../adapters/vendor-a-asmx/fixtures/requests.js';
import { loadAverage, treeRssMiB } from './lib/procstat.js';
import { machine, machineLines, mdTable, updateBenchmarksSection, writeJsonReport } from './lib/report.js';
import { REPO_ROOT } from './lib/report.js';
import { simControl } from '../central-sim/control.js';

interface Options {
  factor: string;
  duration: string;
  connections: string;
  workers: string;
  maxInFlight: string;
  nodeOptions?: string;
  write: boolean;
}

const log = (line: string) => process.stderr.write(`[overload ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** What one answer was, in the caller's terms: MaKetQua n, or the fault's catalogue code. */
function answerKind(status: number, text: string): string {
  const result = /<MaKetQua>(\d+)<\/MaKetQua>/.exec(text);
  if (status === 200 && result) return `MaKetQua ${result[1]}`;
  if (text.includes('<faultcode>')) {
    const code = /\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b/.exec(text)?.[1];
    return `SOAP fault ${code ?? '(no code)'}`;
  }
  return `HTTP ${status} (not a SOAP answer)`;
}

async function main(argv: string[]): Promise<void> {
  const o = new Command('bench:overload')
    .option('--factor <n>', 'offered rate as a multiple of the sustainable rate', '10')
    .option('--duration <s>', 'seconds of overload', '60')
    .option('--connections <n>', 'keep-alive connections during the overload', '512')
    .option('--workers <n>', 'gateway data-plane workers', '2')
    .option('--max-in-flight <n>', 'NDXP_MAX_IN_FLIGHT of the gateway under test (requests at work per process)', '128')
    .option('--node-options <flags>', 'NODE_OPTIONS for the gateway processes (e.g. V8 heap flags), to compare memory settings')
    .option('--no-write', 'do not rewrite the BENCHMARKS.md section')
    .parse(argv)
    .opts<Options>();
  const factor = Number(o.factor);
  const duration = Number(o.duration);
  const connections = Number(o.connections);
  const workers = Number(o.workers);
  const loadStart = loadAverage();
  const stack = await startBenchStack({
    prefix: 'ndxp-overload-',
    workers,
    clients: [
      { name: 'vendor-a', softwareId: 'BENCH-A', unitCode: '000.00.00.H03', vendor: 'vendor-a-asmx' },
      { name: 'probe', softwareId: 'BENCH-PROBE', unitCode: '000.00.00.H03', vendor: 'vendor-a-asmx' },
    ],
    // No per-key limit stands in the way: what bounds the gateway here is its own admission.
    config: { rateLimit: UNTHROTTLED },
    env: { NDXP_MAX_IN_FLIGHT: o.maxInFlight, ...(o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {}) },
  });
  const { d, gwUrl, gateway } = stack;
  try {
    const client = d.clients['vendor-a'];
    const control = simControl(stack.simControlUrl);
    let idBase = 600_000_000 + (Date.now() % 100_000_000);
    const body = () => ({ kind: 'vendor-a' as const, key: client.connectionKey, unitCode: '000.00.00.H03', idBase: (idBase += 1_000_000) });
    const job = (s: number, conns: number, rate?: number) => [{ mode: 'autocannon' as const, url: gwUrl, body: body(), cert: client.certFile, key: client.keyFile, connections: conns, durationS: s, timeoutS: 30, ...(rate ? { overallRate: rate } : {}) }];

    log('warm-up 3 s');
    await runLoad(job(3, 64), {});
    log('sustainable rate: 10 s as fast as it answers, 64 connections');
    const sustained = await runLoad(job(10, 64), { gateway: gateway.pid });
    const rate = sustained.result.ok / sustained.result.durationS;
    const offered = Math.round(rate * factor);
    log(`sustainable ≈ ${rate.toFixed(0)} calls/s; offering ${offered}/s over ${connections} connections for ${duration} s`);

    // The sustainable phase's queued records are delivered first, so the count below is the overload's.
    const settled = async (): Promise<number> => {
      for (let last = -1; ; ) {
        await new Promise((r) => setTimeout(r, 2000));
        const now = (await control.stats({ summary: true })).profiles.created;
        if (now === last) return now;
        last = now;
      }
    };
    const createdBefore = await settled();
    const rss: { t: number; mib: number }[] = [];
    const t0 = Date.now();
    const sampler = setInterval(() => rss.push({ t: Math.round((Date.now() - t0) / 1000), mib: treeRssMiB(gateway.pid) }), 1000);
    const probe: Record<string, number> = {};
    let probing = true;
    let probeId = 900_000_000 + (Date.now() % 10_000_000);
    const probeLoop = (async () => {
      while (probing) {
        const started = Date.now();
        try {
          const r = await call(gwUrl, d, 'probe', { path: '/QLCBService.asmx', headers: soapActionHeaders('DongBoHoSo'), body: dongBoHoSoRequest({ key: d.clients.probe.connectionKey, unitCode: '000.00.00.H03', personalId: String(probeId++).padStart(12, '0') }) });
          const kind = answerKind(r.status, r.text);
          probe[kind] = (probe[kind] ?? 0) + 1;
        } catch (err) {
          const kind = `connection error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
          probe[kind] = (probe[kind] ?? 0) + 1;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - started))));
      }
    })();
    const over = await runLoad(job(duration, connections, offered), { gateway: gateway.pid });
    probing = false;
    await probeLoop;
    clearInterval(sampler);
    rss.push({ t: Math.round((Date.now() - t0) / 1000), mib: treeRssMiB(gateway.pid) });

    // Whatever was accepted is delivered: wait until the simulator's count stops moving.
    const stored = (await settled()) - createdBefore;
    await control.close();
    const accepted = over.result.ok + (probe['MaKetQua 0'] ?? 0) + (probe['MaKetQua 1'] ?? 0);

    const mean = (xs: number[]) => +(xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length)).toFixed(1);
    const firstTen = mean(rss.filter((r) => r.t <= 10).map((r) => r.mib));
    const lastTen = mean(rss.filter((r) => r.t > duration - 10).map((r) => r.mib));
    const report = {
      command: `npm run bench:overload -- ${argv.slice(2).join(' ')}`.trim(),
      machine: machine(),
      loadAverage: { start: loadStart, end: loadAverage() },
      workers,
      maxInFlightPerProcess: Number(o.maxInFlight),
      nodeOptions: o.nodeOptions ?? null,
      redis: d.env.REDIS_URL ? 'REDIS_URL set' : 'embedded (no REDIS_URL)',
      sustainable: { callsPerSecond: +rate.toFixed(1), peakRssMiB: sustained.usage.gateway.peakRssMiB, peakPssMiB: sustained.usage.gateway.peakPssMiB, cpuCores: sustained.usage.gateway.cpuCores },
      overload: {
        offeredPerSecond: offered,
        connections,
        durationS: over.result.durationS,
        answeredOkPerSecond: +(over.result.ok / over.result.durationS).toFixed(1),
        refusedPerSecond: +(over.result.non2xx / over.result.durationS).toFixed(1),
        errors: over.result.errors,
        timeouts: over.result.timeouts,
        statusCodes: over.result.statusCodes,
        cpuCores: over.usage.gateway.cpuCores,
        peakRssMiB: over.usage.gateway.peakRssMiB,
        peakPssMiB: over.usage.gateway.peakPssMiB,
        rssFirst10sMiB: firstTen,
        rssLast10sMiB: lastTen,
        rssSeries: rss,
      },
      probe,
      records: { acceptedByCallers: accepted, storedAtCentre: stored },
    };
    const file = writeJsonReport('overload-', report);
    log(`report ${path.relative(REPO_ROOT, file)}`);
    log(JSON.stringify({ ...report, machine: undefined, overload: { ...report.overload, rssSeries: undefined } }));
    if (o.write) {
      const every = Math.max(1, Math.round(rss.length / 12));
      const md = [
        '## Sustained overload: memory stays flat, refusals in the caller\'s protocol',
        '',
        `\`${report.command}\` (${new Date().toISOString().slice(0, 10)}; report \`${path.relative(REPO_ROOT, file)}\`). Gateway: \`ndxp start\`, ${workers} workers, ${report.redis}, at most ${report.maxInFlightPerProcess} requests at work per process (\`NDXP_MAX_IN_FLIGHT\`), per-key limits lifted so that only admission bounds it. Vendor A DongBoHoSo, one new record per call. Load average ${loadStart.join(' ')} at start, ${report.loadAverage.end.join(' ')} at end; the load generator runs on the same 2 cores.`,
        '',
        mdTable(
          ['phase', 'offered', 'answered 200 /s', 'refused /s', 'errors / timeouts', 'gateway CPU cores', 'peak RSS'],
          [
            ['sustainable (64 connections, as fast as it answers)', 'saturation', report.sustainable.callsPerSecond, 0, '0 / 0', report.sustainable.cpuCores.toFixed(2), `${report.sustainable.peakRssMiB} MiB (PSS ${report.sustainable.peakPssMiB})`],
            [`overload ×${factor} (${connections} connections)`, `${offered}/s`, report.overload.answeredOkPerSecond, report.overload.refusedPerSecond, `${report.overload.errors} / ${report.overload.timeouts}`, report.overload.cpuCores.toFixed(2), `${report.overload.peakRssMiB} MiB (PSS ${report.overload.peakPssMiB})`],
          ],
        ),
        '',
        `RSS of the gateway's process tree during the overload (MiB, every ${every} s): ${rss.filter((_, i) => i % every === 0).map((r) => `${r.t} s ${r.mib}`).join(' · ')}. Mean of the first 10 s ${firstTen} MiB, of the last 10 s ${lastTen} MiB.`,
        '',
        `Probe (one call every 250 ms during the overload), answers by kind: ${Object.entries(probe).map(([k, n]) => `${k}: ${n}`).join('; ')}.`,
        '',
        `Records: ${accepted} answered as accepted (MaKetQua 0 or 1) to the load generator and the probe, ${stored} stored at the central simulator afterwards (${stored >= accepted ? 'none of the accepted lost; the rest were calls still in flight when the load generator stopped and never read their answers' : 'FEWER than accepted'}).`,
        '',
        ...machineLines(report.machine),
      ].join('\n');
      updateBenchmarksSection('overload', md);
    }
  } finally {
    await stack.stop();
  }
}

main(process.argv).catch((err: Error) => {
  process.stderr.write(`overload: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
