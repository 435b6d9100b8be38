/**
 * Runs load generator jobs in their own processes (bench/load-worker.ts) and measures the
 * servers' CPU and memory exactly over the traffic window: trees are snapshotted when the
 * workers say `start` and again when the last one reports.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { LoadJob, WorkerResult } from '../load-worker.js';
import { summarize } from '../load-worker.js';
import { snapshot, cpuCores, memorySampler, type MemoryFigures, type TreeSnapshot } from './procstat.js';

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'load-worker.js');

export interface Usage extends MemoryFigures {
  cpuCores: number;
}

export interface LoadOutcome {
  result: WorkerResult;
  /** Per measured tree (gateway, nginx, sim…). */
  usage: Record<string, Usage>;
  /** CPU of the load generator processes, in cores. */
  loadGeneratorCores: number;
  processes: number;
}

function runOne(job: LoadJob, onStart: () => void): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let done = false;
    child.on('message', (m: { start?: boolean; result?: WorkerResult; error?: string }) => {
      if (m.start) onStart();
      else if (m.result) {
        done = true;
        resolve(m.result);
      } else if (m.error) {
        done = true;
        reject(new Error(m.error));
      }
    });
    child.once('exit', (code) => {
      if (!done) reject(new Error(`load generator exited with ${code}`));
    });
    child.send(job);
  });
}

export function mergeResults(results: WorkerResult[]): WorkerResult {
  const statusCodes: Record<string, number> = {};
  for (const r of results) for (const [c, n] of Object.entries(r.statusCodes)) statusCodes[c] = (statusCodes[c] ?? 0) + n;
  const sum = (f: (r: WorkerResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const samples = results.flatMap((r) => r.samples ?? []);
  return {
    mode: results[0].mode,
    durationS: Math.max(...results.map((r) => r.durationS)),
    requests: sum((r) => r.requests),
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
    latencyMs: samples.length ? summarize(samples) : results[0].latencyMs,
    sessionsReused: sum((r) => r.sessionsReused ?? 0),
    handshakes: sum((r) => r.handshakes ?? 0),
    bytesRead: sum((r) => r.bytesRead ?? 0),
    cpuSeconds: sum((r) => r.cpuSeconds),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
}

/**
 * Runs `jobs` (one process each, concurrently) and measures the named process trees over the
 * window in which they generate traffic.
 */
export async function runLoad(jobs: LoadJob[], trees: Record<string, number | undefined>): Promise<LoadOutcome> {
  const named = Object.entries(trees).filter((e): e is [string, number] => typeof e[1] === 'number');
  let before: { name: string; pid: number; snap: TreeSnapshot; mem: ReturnType<typeof memorySampler> }[] | undefined;
  const onStart = () => {
    before ??= named.map(([name, pid]) => ({ name, pid, snap: snapshot(pid), mem: memorySampler(pid) }));
  };
  const results = await Promise.all(jobs.map((j) => runOne(j, onStart)));
  const usage: Record<string, Usage> = {};
  for (const b of before ?? []) usage[b.name] = { cpuCores: +cpuCores(b.snap, snapshot(b.pid)).toFixed(3), ...b.mem.stop() };
  const result = mergeResults(results);
  return { result, usage, loadGeneratorCores: +(result.cpuSeconds / Math.max(0.001, result.durationS)).toFixed(2), processes: jobs.length };
}
