/**
 * A load generator process (never the runner's, never a server's): forked by bench/lib/load.ts,
 * it receives one job over IPC, says `start` right before the measured traffic begins, and sends
 * back the result plus the CPU it used itself (to tell when the load generator is the limit).
 *
 *   autocannon  keep-alive connections, closed loop (saturation) or a fixed overall rate.
 *   fresh       a NEW TLS connection for every request (https.request with agent:false), with or
 *               without TLS session resumption (the last session ticket offered back), closed loop
 *               with N requests in flight, or open loop at a fixed rate where latency counts from
 *               the moment the request was due (no coordinated omission).
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { requestBuilder, type BodySpec } from './lib/bodies.js';

export interface AutocannonJob {
  mode: 'autocannon';
  url: string;
  body: BodySpec;
  cert: string;
  key: string;
  connections: number;
  pipelining?: number;
  durationS: number;
  /** Requests per second over all connections (fixed arrival rate); absent: as fast as possible. */
  overallRate?: number;
  timeoutS?: number;
}

export interface FreshJob {
  mode: 'fresh';
  url: string;
  body: BodySpec;
  cert: string;
  key: string;
  ca: string;
  resume: boolean;
  concurrency: number;
  durationS: number;
  rate?: number;
  timeoutS?: number;
}

export type LoadJob = AutocannonJob | FreshJob;

export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p99_9: number;
  max: number;
}

export interface WorkerResult {
  mode: LoadJob['mode'];
  durationS: number;
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  latencyMs: LatencySummary;
  /** Raw latencies (fresh mode only), so several processes can be merged exactly. */
  samples?: number[];
  sessionsReused?: number;
  handshakes?: number;
  bytesRead?: number;
  cpuSeconds: number;
  firstError?: string;
}

export function summarize(samples: number[]): LatencySummary {
  if (samples.length === 0) return { mean: 0, p50: 0, p90: 0, p99: 0, p99_9: 0, max: 0 };
  const s = Float64Array.from(samples).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  let sum = 0;
  for (const v of s) sum += v;
  const r = (v: number) => +v.toFixed(2);
  return { mean: r(sum / s.length), p50: r(at(0.5)), p90: r(at(0.9)), p99: r(at(0.99)), p99_9: r(at(0.999)), max: r(s[s.length - 1]) };
}

interface AutocannonResult {
  duration: number;
  requests: { total: number; average: number };
  latency: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodeStats?: Record<string, { count: number }>;
  throughput: { total: number };
}

async function runAutocannon(job: AutocannonJob): Promise<WorkerResult> {
  const autocannon = ((await import('autocannon' as string)) as { default: (o: Record<string, unknown>) => Promise<AutocannonResult> }).default;
  const next = requestBuilder(job.body);
  const first = next();
  const cpu0 = process.cpuUsage();
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: job.pipelining ?? 1,
    duration: job.durationS,
    timeout: job.timeoutS ?? 30,
    ...(job.overallRate ? { overallRate: job.overallRate } : {}),
    tlsOptions: { cert: readFileSync(job.cert), key: readFileSync(job.key), rejectUnauthorized: false },
    requests: [
      {
        method: first.method,
        path: first.path,
        headers: first.headers,
        ...(first.body !== undefined ? { body: first.body } : {}),
        ...(job.body.kind === 'get'
          ? {}
          : {
              setupRequest: (req: Record<string, unknown>) => {
                const r = next();
                return { ...req, body: r.body };
              },
            }),
      },
    ],
  });
  const cpu = process.cpuUsage(cpu0);
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count;
  const l = result.latency;
  return {
    mode: 'autocannon',
    durationS: result.duration,
    requests: result.requests.total,
    ok: result.requests.total - result.non2xx,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencyMs: { mean: l.mean, p50: l.p50, p90: l.p90, p99: l.p99, p99_9: l.p99_9, max: l.max },
    bytesRead: result.throughput.total,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

async function runFresh(job: FreshJob): Promise<WorkerResult> {
  const url = new URL(job.url);
  const next = requestBuilder(job.body);
  const cert = readFileSync(job.cert);
  const key = readFileSync(job.key);
  const ca = readFileSync(job.ca);
  let session: Buffer | undefined;
  const samples: number[] = [];
  const statusCodes: Record<string, number> = {};
  let requests = 0;
  let ok = 0;
  let errors = 0;
  let reused = 0;
  let handshakes = 0;
  let firstError: string | undefined;
  let inFlight = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + job.durationS * 1000;

  const one = (dueAt: number) =>
    new Promise<void>((resolve) => {
      const r = next();
      inFlight++;
      let settled = false;
      // Exactly one outcome per request, whatever the connection does (a reset mid-answer emits
      // no 'end'; a server that never answers is cut by the timeout).
      const finish = (status: number | undefined, err?: Error) => {
        if (settled) return;
        settled = true;
        inFlight--;
        requests++;
        if (status !== undefined) {
          const code = String(status);
          statusCodes[code] = (statusCodes[code] ?? 0) + 1;
          if (status >= 200 && status < 300) ok++;
          samples.push(performance.now() - dueAt);
        } else {
          errors++;
          firstError ??= err?.message ?? 'connection closed before the answer';
        }
        resolve();
      };
      const req = https.request(
        {
          host: url.hostname,
          port: url.port,
          path: r.path,
          method: r.method,
          headers: r.body !== undefined ? { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) } : r.headers,
          agent: false,
          cert,
          key,
          ca,
          servername: 'localhost',
          ...(job.resume && session ? { session } : {}),
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => finish(res.statusCode ?? 0));
          res.on('error', (err) => finish(undefined, err));
          res.on('close', () => finish(undefined));
        },
      );
      req.setTimeout(job.timeoutS ? job.timeoutS * 1000 : 30_000, () => req.destroy(new Error('timeout')));
      req.on('socket', (socket) => {
        if (job.resume) socket.on('session', (s: Buffer) => (session = s));
        socket.once('secureConnect', () => {
          handshakes++;
          if ((socket as import('node:tls').TLSSocket).isSessionReused()) reused++;
        });
      });
      req.on('error', (err) => finish(undefined, err));
      req.on('close', () => finish(undefined));
      req.end(r.body);
    });

  if (job.rate) {
    // Open loop: request i is due at t0 + i/rate, whatever happened to the earlier ones.
    const interval = 1000 / job.rate;
    const pending: Promise<void>[] = [];
    let i = 0;
    while (performance.now() < end) {
      const due = t0 + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (inFlight < 4096) pending.push(one(due));
      else errors++;
      i++;
      if (pending.length > 10_000) await Promise.all(pending.splice(0, 5_000));
    }
    await Promise.all(pending);
  } else {
    const loop = async () => {
      while (performance.now() < end) await one(performance.now());
    };
    await Promise.all(Array.from({ length: job.concurrency }, loop));
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    mode: 'fresh',
    // Open loop: the arrival window (answers that straggle in afterwards still count, and their
    // lateness is in the latencies); closed loop: the wall time.
    durationS: job.rate ? job.durationS : (performance.now() - t0) / 1000,
    requests,
    ok,
    non2xx: requests - ok,
    errors,
    timeouts: 0,
    statusCodes,
    latencyMs: summarize(samples),
    samples,
    sessionsReused: reused,
    handshakes,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    firstError,
  };
}

if (process.send) {
  process.once('message', (job: LoadJob) => {
    process.send!({ start: true });
    (job.mode === 'autocannon' ? runAutocannon(job) : runFresh(job))
      .then((result) => process.send!({ result }, () => process.exit(0)))
      .catch((err: Error) => process.send!({ error: err.stack ?? err.message }, () => process.exit(1)));
  });
}
