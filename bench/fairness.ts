/**
 * Fairness under abuse: does a well-behaved client keep its latency while another client hammers
 * the gateway at 10× its rate limit? Two phases against a running gateway:
 *
 *   1. baseline   the well-behaved ("normal") client alone, at its normal rate;
 *   2. contended  the same, while the "noisy" client sends factor × its limit.
 *
 * Each load generator runs in its own process (autocannon), so the hammering client's load
 * generation does not slow down the measuring one. Reported: the normal client's p50/p90/p99
 * latency and status codes in both phases, and how much of the noisy client's traffic was
 * refused (429). Run it on a machine other than the gateway's for figures worth publishing.
 *
 *   node dist/bench/fairness.js --url https://gw:8443 --path /api/v1/whoami \
 *     --normal-cert a.crt --normal-key a.key --normal-token KEYID.SECRET --normal-rate 20 \
 *     --noisy-cert b.crt --noisy-key b.key --noisy-token KEYID.SECRET --noisy-limit 50 --factor 10
 *
 * `--demo` instead starts a small HTTPS service in a child process that does nothing but the
 * gateway's abuse protection (createRateLimiter on the real Redis at REDIS_URL) and runs the same
 * two phases against it: a check of the script and of the limiter's isolation, not a figure for
 * the gateway.
 */
import { Command } from 'commander';
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ClientSpec {
  cert?: string;
  key?: string;
  ca?: string;
  token?: string;
}

interface LoadSpec {
  url: string;
  path: string;
  method: string;
  body?: string;
  contentType?: string;
  tokenHeader: string;
  client: ClientSpec;
  /** Requests per second across all connections. */
  rate: number;
  connections: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  /** Achieved requests per second. */
  throughput: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; average: number };
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
}

/** The subset of autocannon's result we read (the package ships no type declarations). */
interface AutocannonResult {
  requests: { total: number; average: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  statusCodeStats?: Record<string, { count: number }>;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  // A non-literal specifier: autocannon is a dev dependency without type declarations.
  const autocannon = ((await import('autocannon' as string)) as { default: Autocannon }).default;
  const headers: Record<string, string> = {};
  if (spec.client.token) headers[spec.tokenHeader] = spec.client.token;
  if (spec.contentType) headers['content-type'] = spec.contentType;
  const tlsOptions: Record<string, Buffer> = {};
  if (spec.client.cert) tlsOptions.cert = readFileSync(spec.client.cert);
  if (spec.client.key) tlsOptions.key = readFileSync(spec.client.key);
  if (spec.client.ca) tlsOptions.ca = readFileSync(spec.client.ca);
  const result = await autocannon({
    url: new URL(spec.path, spec.url).toString(),
    method: spec.method,
    headers,
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    connections: Math.max(1, Math.min(spec.connections, Math.ceil(spec.rate))),
    overallRate: spec.rate,
    duration: spec.durationSeconds,
    tlsOptions,
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count;
  return {
    requests: result.requests.total,
    throughput: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, average: result.latency.average },
    statusCodes,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

const SELF = fileURLToPath(import.meta.url);

/** Runs one load generator in a child process of this script. */
function runLoadInChild(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['__load'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m: { result?: LoadResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(m.error))));
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
    child.send(spec);
  });
}

interface DemoServer {
  url: string;
  stop(): void;
}

/** Starts the demo service (limiter only) in a child process; see serveDemo. */
function startDemo(limits: { requestsPerSecond: number }): Promise<DemoServer> {
  return new Promise((resolve, reject) => {
    const child = fork(SELF, ['__demo-server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m: { port?: number; error?: string }) => {
      if (!m.port) return reject(new Error(m.error));
      resolve({ url: `https://127.0.0.1:${m.port}`, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`demo server exited with ${code}`)));
    child.send(limits);
  });
}

/** The demo service: TLS, a connection key header naming the key, and the gateway's rate limiter. */
async function serveDemo(limits: { requestsPerSecond: number }): Promise<void> {
  const https = await import('node:https');
  const os = await import('node:os');
  const path = await import('node:path');
  const { mkdtempSync } = await import('node:fs');
  const { generateKeyPairSync, randomBytes } = await import('node:crypto');
  const forge = (await import('node-forge')).default;
  const { loadConfig } = await import('../config/config.js');
  const { openContext, closeContext } = await import('../gateway/context.js');
  const { quietLogger } = await import('../core/log.js');
  const { createRateLimiter } = await import('../gateway/ratelimit/index.js');
  const { isGatewayError } = await import('../core/errors.js');
  const { applyHttpLimits, httpServerOptions } = await import('../gateway/ratelimit/http-limits.js');

  const config = loadConfig({
    overrides: {
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'ndxp-fairness-')),
      redisPrefix: `ndxp-fairness-${randomBytes(4).toString('hex')}`,
      rateLimit: { requestsPerSecond: limits.requestsPerSecond, concurrentPerKey: 64 },
    },
  });
  const ctx = await openContext(config, { log: quietLogger() });
  const limiter = createRateLimiter(ctx);
  await limiter.ready(3000);

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer([{ name: 'commonName', value: 'localhost' }]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());

  const server = https.createServer({ key: keyPem, cert: forge.pki.certificateToPem(cert), ...httpServerOptions(config.limits) }, (req, res) => {
    void (async () => {
      const keyId = String(req.headers['x-connection-key'] ?? 'anonymous').split('.')[0];
      let release: (() => void) | undefined;
      try {
        release = limiter.acquireSlot(keyId);
        await limiter.consume({ keyId, unitCode: `UNIT-${keyId}`, records: 0 });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keyId }));
      } catch (err) {
        if (!isGatewayError(err)) throw err;
        const headers: Record<string, string> = { 'content-type': 'application/problem+json' };
        if (err.retryAfterSeconds) headers['retry-after'] = String(err.retryAfterSeconds);
        res.writeHead(err.httpStatus, headers).end(JSON.stringify({ code: err.code, title: err.message }));
      } finally {
        release?.();
      }
    })().catch(() => res.destroy());
  });
  applyHttpLimits(server, config.limits);
  server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as { port: number }).port }));
  const stop = async () => {
    server.close();
    server.closeAllConnections();
    await limiter.close();
    await closeContext(ctx);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
}

interface Options {
  url?: string;
  path: string;
  method: string;
  bodyFile?: string;
  contentType?: string;
  tokenHeader: string;
  ca?: string;
  normalCert?: string;
  normalKey?: string;
  normalToken?: string;
  normalRate: string;
  noisyCert?: string;
  noisyKey?: string;
  noisyToken?: string;
  noisyLimit: string;
  factor: string;
  duration: string;
  pause: string;
  connections: string;
  demo?: boolean;
  json?: boolean;
}

function fmt(r: LoadResult): string {
  const codes = Object.entries(r.statusCodes).map(([c, n]) => `${c}×${n}`).join(' ') || '-';
  return `p50 ${r.latencyMs.p50} ms  p90 ${r.latencyMs.p90} ms  p99 ${r.latencyMs.p99} ms  max ${r.latencyMs.max} ms  ${r.requests} req (${r.throughput.toFixed(1)}/s)  ${codes}  errors ${r.errors}`;
}

async function main(argv: string[]): Promise<void> {
  const program = new Command('fairness')
    .description('Measures whether a well-behaved client keeps its latency while another hammers the gateway at N× its rate limit')
    .option('--url <url>', 'gateway data-plane URL, e.g. https://127.0.0.1:8443')
    .option('--path <path>', 'request path (a rate-limited endpoint)', '/api/v1/whoami')
    .option('--method <method>', 'HTTP method', 'GET')
    .option('--body-file <file>', 'request body (e.g. a SOAP envelope)')
    .option('--content-type <type>', 'Content-Type of the body')
    .option('--token-header <name>', 'header carrying the connection key', 'x-connection-key')
    .option('--ca <file>', 'CA bundle of the gateway (optional; autocannon does not verify the server)')
    .option('--normal-cert <file>', 'well-behaved client: certificate (PEM)')
    .option('--normal-key <file>', 'well-behaved client: private key (PEM)')
    .option('--normal-token <token>', 'well-behaved client: connection key <keyId>.<secret>')
    .option('--normal-rate <n>', 'well-behaved client: requests per second (below its limit)', '20')
    .option('--noisy-cert <file>', 'hammering client: certificate (PEM)')
    .option('--noisy-key <file>', 'hammering client: private key (PEM)')
    .option('--noisy-token <token>', 'hammering client: connection key')
    .option('--noisy-limit <n>', "hammering client's configured requests per second", '50')
    .option('--factor <n>', 'the hammering client sends factor × its limit', '10')
    .option('--duration <s>', 'seconds per phase', '15')
    .option('--pause <s>', 'seconds between phases (lets the limit windows reset)', '3')
    .option('--connections <n>', 'connections of the hammering client', '32')
    .option('--demo', 'run against a built-in service that only applies the rate limiter (needs Redis)')
    .option('--json', 'print one JSON document')
    .showHelpAfterError();
  program.parse(argv);
  const o = program.opts<Options>();
  const num = (v: string, name: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const normalRate = num(o.normalRate, 'normal-rate');
  const noisyLimit = num(o.noisyLimit, 'noisy-limit');
  const factor = num(o.factor, 'factor');
  const durationSeconds = num(o.duration, 'duration');
  const pause = Number(o.pause) || 0;

  let demo: DemoServer | undefined;
  let url = o.url;
  const normal: ClientSpec = { cert: o.normalCert, key: o.normalKey, ca: o.ca, token: o.normalToken };
  const noisy: ClientSpec = { cert: o.noisyCert, key: o.noisyKey, ca: o.ca, token: o.noisyToken };
  if (o.demo) {
    demo = await startDemo({ requestsPerSecond: noisyLimit });
    url = demo.url;
    normal.token ??= 'NORMAL.demo';
    noisy.token ??= 'NOISY.demo';
  }
  if (!url) {
    program.error('--url is required (or --demo)');
    return;
  }
  const base = {
    url,
    path: o.path,
    method: o.method.toUpperCase(),
    ...(o.bodyFile ? { body: readFileSync(o.bodyFile, 'utf8') } : {}),
    ...(o.contentType ? { contentType: o.contentType } : {}),
    tokenHeader: o.tokenHeader.toLowerCase(),
    durationSeconds,
  };
  const normalSpec: LoadSpec = { ...base, client: normal, rate: normalRate, connections: 4 };
  const noisySpec: LoadSpec = { ...base, client: noisy, rate: noisyLimit * factor, connections: num(o.connections, 'connections') };
  const log = (line: string) => o.json || process.stderr.write(line + '\n');
  try {
    log(`phase 1/2: normal client alone at ${normalRate}/s for ${durationSeconds} s …`);
    const baseline = await runLoadInChild(normalSpec);
    if (pause) await new Promise((r) => setTimeout(r, pause * 1000));
    log(`phase 2/2: normal client at ${normalRate}/s while the noisy client sends ${noisySpec.rate}/s (${factor}× its limit of ${noisyLimit}/s) …`);
    const [contended, hammer] = await Promise.all([runLoadInChild(normalSpec), runLoadInChild(noisySpec)]);
    const refused = (r: LoadResult) => Object.entries(r.statusCodes).filter(([c]) => c === '429').reduce((s, [, n]) => s + n, 0);
    const report = {
      target: url,
      demo: Boolean(o.demo),
      path: base.path,
      normalRate,
      noisy: { limit: noisyLimit, factor, offered: noisySpec.rate },
      baseline,
      contended: { normal: contended, noisy: hammer },
      summary: {
        normalP50Ms: [baseline.latencyMs.p50, contended.latencyMs.p50],
        normalP99Ms: [baseline.latencyMs.p99, contended.latencyMs.p99],
        p99Ratio: baseline.latencyMs.p99 > 0 ? +(contended.latencyMs.p99 / baseline.latencyMs.p99).toFixed(2) : null,
        normalRefused: refused(contended),
        noisyRefusedShare: hammer.requests > 0 ? +(refused(hammer) / hammer.requests).toFixed(3) : null,
        noisyAcceptedPerSecond: +(((hammer.statusCodes['200'] ?? 0) / durationSeconds)).toFixed(1),
      },
    };
    if (o.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      process.stdout.write(
        [
          `target: ${url}${o.demo ? ' (demo: rate limiter only)' : ''}  path: ${base.path}`,
          `normal, alone:          ${fmt(baseline)}`,
          `normal, under hammer:   ${fmt(contended)}`,
          `noisy (${noisySpec.rate}/s offered): ${fmt(hammer)}`,
          `p99 ratio (under hammer / alone): ${report.summary.p99Ratio}; normal client refused: ${report.summary.normalRefused}; noisy refused: ${((report.summary.noisyRefusedShare ?? 0) * 100).toFixed(1)}%, accepted ${report.summary.noisyAcceptedPerSecond}/s`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    demo?.stop();
  }
}

const role = process.argv[2];
if (role === '__load') {
  process.once('message', (spec: LoadSpec) => {
    runLoad(spec)
      .then((result) => process.send!({ result }, () => process.exit(0)))
      .catch((err: Error) => process.send!({ error: err.message }, () => process.exit(1)));
  });
} else if (role === '__demo-server') {
  process.once('message', (limits: { requestsPerSecond: number }) => {
    serveDemo(limits).catch((err: Error) => process.send!({ error: err.message }, () => process.exit(1)));
  });
} else if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  main(process.argv).catch((err: Error) => {
    process.stderr.write(`fairness: ${err.message}\n`);
    process.exitCode = 1;
  });
}
