/**
 * The gateway's one typed configuration: embedded defaults, then the JSON file named by
 * NDXP_CONFIG (or --config), then environment variables (environment wins). Validated once at
 * start; a bad setting stops the process with a message naming the setting and the source.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'phải có dạng host:port, ví dụ 0.0.0.0:8443');

const duration = z.number().int().nonnegative();

export const configSchema = z.object({
  /** State, certificates, SQLite files. */
  dataDir: z.string().min(1).default('./data'),
  /** Data plane (mTLS) host:port. */
  listen: hostPort.default('0.0.0.0:8443'),
  /** Admin plane host:port. */
  adminListen: hostPort.default('127.0.0.1:9443'),
  /** URL legacy clients use (WSDL soap:address). Default: https://<first SAN>:<port>. */
  publicUrl: z.url().optional(),
  /** The central database API. */
  centralUrl: z.url().default('https://127.0.0.1:7443'),
  /** Delivery: the gateway token sent as `Authorization: Bearer …` to the central database
   *  (issued by the national platform; a secret: never logged). Unset: no Authorization header. */
  centralToken: z.string().min(1).optional(),
  /** Where `ndxp central-sim` listens. */
  centralListen: hostPort.default('127.0.0.1:7443'),
  /** PostgreSQL instead of the embedded SQLite. */
  databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, 'phải là URL postgres://…').optional(),
  /** PostgreSQL schema (search_path); lets tests and co-hosted deployments share a database. */
  databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  /**
   * Redis for the retry queue (BullMQ) and the rate limits and lockouts shared between nodes.
   * Unset on a single node with the embedded SQLite store: the embedded mode (retry queue run
   * from the outbox, limits in memory). Unset with `databaseUrl` (several nodes sharing
   * PostgreSQL): resolved to DEFAULT_REDIS_URL by loadConfig, since nodes must share limits.
   */
  redisUrl: z.string().regex(/^rediss?:\/\//, 'phải là URL redis://…').optional(),
  /** Prefix for every Redis key, so several gateways (or test runs) can share one Redis. */
  redisPrefix: z.string().min(1).default('ndxp'),
  /** Data-plane worker processes; 0 = one per CPU core. */
  workers: z.number().int().min(0).max(64).default(0),
  /**
   * V8 heap sizes of each data-plane worker process (`ndxp start` gives them to the workers it
   * forks; 0 = V8's own choice). A worker's live data is small (tens of MiB: code, code lists,
   * the requests at work), but V8 sizes its heap by the allocation rate, and under load lets a
   * worker reach hundreds of MiB of mostly garbage. The young generation is also what makes an
   * idle process ~30 MiB larger than it needs to be. A flag the operator gives through
   * NODE_OPTIONS wins.
   */
  workerMemory: z
    .object({
      /** `--max-semi-space-size` in MiB (V8's default is 16 on 64-bit). */
      youngGenerationMiB: z.number().int().min(0).max(256).default(0),
      /** `--max-old-space-size` in MiB. Leave room for the largest calls at work at once. */
      heapMiB: z.number().int().min(0).max(65536).default(0),
    })
    .prefault({}),
  /** Identifies this node in logs, audit entries and the queue. Default: hostname:pid. */
  nodeName: z.string().optional(),
  /** Master secret protecting private keys and other secrets at rest. Default: generated into the data directory. */
  masterKey: z.string().min(32, 'phải có ít nhất 32 ký tự').optional(),

  tls: z
    .object({
      /** SANs of the data-plane server certificate: DNS names and IP addresses. */
      serverNames: z.array(z.string().min(1)).default(['localhost', '127.0.0.1']),
      /** Days before expiry at which listings and /readyz warn. */
      expiryWarningDays: z.number().int().positive().default(30),
    })
    .prefault({}),

  limits: z
    .object({
      maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024),
      /**
       * Requests at work at once in one process, all keys and fronts together; past it a request
       * is refused at once (CONG_KET_NOI_QUA_TAI, 503) before its body is read, so an overload
       * cannot grow memory. Sized well above what the per-key limits let normal traffic reach.
       */
      maxInFlight: z.number().int().positive().default(128),
      xmlMaxDepth: z.number().int().positive().default(64),
      // A full 1,000-record vendor B call needs about 50,000 elements; the tree of 100,000 stays ~20 MB.
      xmlMaxElements: z.number().int().positive().default(100_000),
      xmlMaxAttributes: z.number().int().positive().default(64),
      xmlMaxAttributeLength: z.number().int().positive().default(64 * 1024),
      xmlMaxTextLength: z.number().int().positive().default(8 * 1024 * 1024),
      /** Whole request, first byte to last byte of the answer. */
      requestTimeoutMs: duration.default(60_000),
      /** Time to receive the request headers (cuts slow-loris connections). */
      headersTimeoutMs: duration.default(10_000),
      maxHeaderBytes: z.number().int().positive().default(16 * 1024),
      keepAliveTimeoutMs: duration.default(30_000),
      /** Records per vendor B submitRecords call (the contract says up to 1,000). */
      maxRecordsPerCall: z.number().int().positive().default(1000),
      /** Tracking ids per status call (vendor B getStatus): enough for a whole 1,000-record batch. */
      maxStatusIdsPerCall: z.number().int().positive().default(1000),
    })
    .prefault({}),

  keys: z
    .object({
      /** How often each instance re-reads keys, revocations and trust anchors from the store. */
      refreshIntervalMs: duration.default(1000),
      /** Default grace period of `keys rotate` when --grace is not given. */
      defaultRotationGraceHours: z.number().positive().default(24),
    })
    .prefault({}),

  vendorB: z
    .object({
      /** How far in the future a WS-Security Created may lie (clock skew). */
      maxFutureSkewSeconds: z.number().int().nonnegative().default(300),
    })
    .prefault({}),

  delivery: z
    .object({
      /** How long a legacy client waits for the central database before it hears "queued". */
      syncDeadlineMs: duration.default(3000),
      /** Per-attempt timeout of a call to the central database. */
      requestTimeoutMs: duration.default(15_000),
      maxAttempts: z.number().int().positive().default(20),
      maxAgeHours: z.number().positive().default(72),
      backoffBaseMs: duration.default(1000),
      backoffMaxMs: duration.default(5 * 60_000),
      batchSize: z.number().int().min(1).max(500).default(500),
      /** Queue workers per process. */
      concurrency: z.number().int().positive().default(8),
      breakerFailureThreshold: z.number().int().positive().default(5),
      breakerOpenMs: duration.default(10_000),
      /** How often the relay moves outbox rows that never reached Redis into the queue. */
      relayIntervalMs: duration.default(2000),
    })
    .prefault({}),

  doiSoat: z
    .object({
      /** How often a running gateway fetches the centre's matching results (and reconciles); 0 = only `ndxp doi-soat fetch`. */
      fetchIntervalMs: duration.default(3600_000),
      /** Units whose results are fetched; default: the units of the connection keys and of the records sent. */
      units: z.array(z.string().min(1)).default([]),
      /** Results asked per call (contract: 1..5000). */
      pageSize: z.number().int().min(1).max(5000).default(1000),
    })
    .prefault({}),

  audit: z
    .object({
      /** Default body retention: off, metadata or full (encrypted). Overridable per key. */
      bodies: z.enum(['off', 'metadata', 'full']).default('metadata'),
      /** AES-256 keys for full bodies, base64 (32 bytes), newest first; the first one encrypts. */
      encryptionKeys: z.array(z.string()).default([]),
      checkpointEvery: z.number().int().positive().default(1000),
      checkpointIntervalMs: duration.default(60_000),
      flushIntervalMs: duration.default(50),
      retentionDays: z.number().int().positive().default(365),
      /** Where retention moves old entries (default <dataDir>/audit-archive). Several nodes sharing one PostgreSQL store should point this at shared storage. */
      archiveDir: z.string().min(1).optional(),
      /** How often a running gateway applies retention; 0 = only `ndxp audit archive`. */
      archiveIntervalMs: duration.default(24 * 3600_000),
    })
    .prefault({}),

  rateLimit: z
    .object({
      requestsPerSecond: z.number().positive().default(50),
      recordsPerSecond: z.number().positive().default(2000),
      burstSeconds: z.number().positive().default(2),
      unitRequestsPerSecond: z.number().positive().default(200),
      unitRecordsPerSecond: z.number().positive().default(10_000),
      concurrentPerKey: z.number().int().positive().default(16),
      lockoutThreshold: z.number().int().positive().default(10),
      lockoutWindowSeconds: z.number().int().positive().default(300),
      lockoutBaseSeconds: z.number().int().positive().default(60),
      lockoutMaxSeconds: z.number().int().positive().default(24 * 3600),
      // --- added by the rate-limit area (issue 6) ---
      /** Window over which the burst allowance (burstSeconds × rate, beyond one second's worth) refills. */
      burstWindowSeconds: z.number().int().positive().default(10),
      /** Gateway machines sharing the limits; while Redis is unreachable each data-plane process enforces limit / (expectedNodes × its node's worker processes) from memory. */
      expectedNodes: z.number().int().positive().default(2),
      /** A rate-limit Redis command slower than this falls back to the in-memory limits instead of delaying the request. */
      redisCommandTimeoutMs: z.number().int().positive().default(250),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;

/** Where nodes sharing PostgreSQL look for Redis when REDIS_URL is not set. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * True when this gateway coordinates through Redis (BullMQ queue, shared limits) and refuses to
 * start without it; false in the embedded mode (one node, retry queue in the store, limits in
 * memory). Decided by configuration only, never by whether a Redis happens to answer, so a node
 * never switches modes behind the operator's back.
 */
export function usesRedis(config: Config): config is Config & { redisUrl: string } {
  return typeof config.redisUrl === 'string' && config.redisUrl.length > 0;
}

/** The Redis URL of a gateway that uses Redis; a part that needs Redis was built in the embedded mode otherwise (a bug). */
export function redisUrlOf(config: Config): string {
  if (!usesRedis(config)) throw new Error('Redis is not configured (embedded mode): this part must not be started');
  return config.redisUrl;
}
export type ConfigInput = z.input<typeof configSchema>;

/** Environment variables, each mapped to one setting. Documented in README's configuration reference. */
export const ENVIRONMENT: Record<string, { path: string[]; type: 'string' | 'number' | 'list' }> = {
  NDXP_DATA_DIR: { path: ['dataDir'], type: 'string' },
  NDXP_LISTEN: { path: ['listen'], type: 'string' },
  NDXP_ADMIN_LISTEN: { path: ['adminListen'], type: 'string' },
  NDXP_PUBLIC_URL: { path: ['publicUrl'], type: 'string' },
  NDXP_CENTRAL_URL: { path: ['centralUrl'], type: 'string' },
  NDXP_CENTRAL_LISTEN: { path: ['centralListen'], type: 'string' },
  NDXP_CENTRAL_TOKEN: { path: ['centralToken'], type: 'string' },
  DATABASE_URL: { path: ['databaseUrl'], type: 'string' },
  NDXP_DB_SCHEMA: { path: ['databaseSchema'], type: 'string' },
  REDIS_URL: { path: ['redisUrl'], type: 'string' },
  NDXP_REDIS_PREFIX: { path: ['redisPrefix'], type: 'string' },
  NDXP_WORKERS: { path: ['workers'], type: 'number' },
  NDXP_NODE_NAME: { path: ['nodeName'], type: 'string' },
  NDXP_WORKER_YOUNG_MIB: { path: ['workerMemory', 'youngGenerationMiB'], type: 'number' },
  NDXP_WORKER_HEAP_MIB: { path: ['workerMemory', 'heapMiB'], type: 'number' },
  NDXP_MASTER_KEY: { path: ['masterKey'], type: 'string' },
  NDXP_SERVER_NAMES: { path: ['tls', 'serverNames'], type: 'list' },
  NDXP_SYNC_DEADLINE_MS: { path: ['delivery', 'syncDeadlineMs'], type: 'number' },
  NDXP_DELIVERY_MAX_ATTEMPTS: { path: ['delivery', 'maxAttempts'], type: 'number' },
  NDXP_DELIVERY_BACKOFF_BASE_MS: { path: ['delivery', 'backoffBaseMs'], type: 'number' },
  NDXP_DELIVERY_BACKOFF_MAX_MS: { path: ['delivery', 'backoffMaxMs'], type: 'number' },
  NDXP_BREAKER_OPEN_MS: { path: ['delivery', 'breakerOpenMs'], type: 'number' },
  NDXP_RELAY_INTERVAL_MS: { path: ['delivery', 'relayIntervalMs'], type: 'number' },
  NDXP_DOI_SOAT_INTERVAL_MS: { path: ['doiSoat', 'fetchIntervalMs'], type: 'number' },
  NDXP_KEYS_REFRESH_MS: { path: ['keys', 'refreshIntervalMs'], type: 'number' },
  NDXP_AUDIT_BODIES: { path: ['audit', 'bodies'], type: 'string' },
  NDXP_AUDIT_ENCRYPTION_KEYS: { path: ['audit', 'encryptionKeys'], type: 'list' },
  NDXP_MAX_BODY_BYTES: { path: ['limits', 'maxBodyBytes'], type: 'number' },
  NDXP_MAX_IN_FLIGHT: { path: ['limits', 'maxInFlight'], type: 'number' },
  NDXP_MAX_STATUS_IDS: { path: ['limits', 'maxStatusIdsPerCall'], type: 'number' },
  NDXP_RATE_RPS: { path: ['rateLimit', 'requestsPerSecond'], type: 'number' },
  NDXP_RATE_RECORDS_PS: { path: ['rateLimit', 'recordsPerSecond'], type: 'number' },
  NDXP_RATE_EXPECTED_NODES: { path: ['rateLimit', 'expectedNodes'], type: 'number' },
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object' && !Array.isArray(b)
        ? deepMerge(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

export interface LoadOptions {
  /** Path of a JSON configuration file; default: NDXP_CONFIG. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Settings given in code (tests, CLI flags); they win over file and environment. */
  overrides?: ConfigInput;
}

/** Reads file + environment + overrides, validates, and resolves paths. Throws ConfigError naming the bad setting. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  const file = options.file ?? env.NDXP_CONFIG;
  const sourceOf: Record<string, string> = {};
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`Không đọc được tệp cấu hình ${file} (CAU_HINH_KHONG_HOP_LE): ${(err as Error).message}`);
    }
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENVIRONMENT)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    let parsed: unknown = value;
    if (spec.type === 'number') {
      parsed = Number(value);
      if (!Number.isFinite(parsed)) throw new ConfigError(`${name}=${value}: phải là một số (CAU_HINH_KHONG_HOP_LE)`);
    } else if (spec.type === 'list') {
      parsed = value.split(',').map((s) => s.trim()).filter(Boolean);
    }
    setPath(fromEnv, spec.path, parsed);
    sourceOf[spec.path.join('.')] = name;
  }
  const merged = deepMerge(deepMerge(raw, fromEnv), (options.overrides ?? {}) as Record<string, unknown>);
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.path.join('.');
      const source = sourceOf[key] ? ` (từ biến môi trường ${sourceOf[key]})` : file ? ` (trong ${file})` : '';
      return `  - ${key || '(gốc)'}${source}: ${issue.message}`;
    });
    throw new ConfigError(`Cấu hình không hợp lệ (CAU_HINH_KHONG_HOP_LE):\n${problems.join('\n')}`);
  }
  const config = result.data;
  config.dataDir = path.resolve(config.dataDir);
  // Several nodes sharing PostgreSQL must share their queue and limits: Redis is not optional there.
  if (!config.redisUrl && config.databaseUrl) config.redisUrl = DEFAULT_REDIS_URL;
  return config;
}

export function splitHostPort(value: string): { host: string; port: number } {
  const idx = value.lastIndexOf(':');
  const host = value.slice(0, idx).replace(/^\[|\]$/g, '');
  return { host, port: Number(value.slice(idx + 1)) };
}

/** The URL legacy clients are told to use: NDXP_PUBLIC_URL, or https://<first SAN>:<data-plane port>. */
export function publicUrl(config: Config, actualPort?: number): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/$/, '');
  const { port } = splitHostPort(config.listen);
  const name = config.tls.serverNames[0] ?? 'localhost';
  const host = name.includes(':') ? `[${name}]` : name;
  return `https://${host}:${actualPort ?? port}`;
}
