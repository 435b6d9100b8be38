/**
 * Lockout of connection-key guessing. Invalid keys are counted per client: its certificate
 * serial when it presented one (several installations behind one NAT address never share a
 * count), otherwise its address. After `lockoutThreshold` invalid keys within
 * `lockoutWindowSeconds` the client is locked out for base × 2^(n−1) seconds (n = how many
 * times it was locked out before, remembered for `lockoutMaxSeconds` after the lockout ends),
 * capped at `lockoutMaxSeconds`.
 *
 * The state lives in Redis so every node enforces it; while Redis is unreachable this node
 * counts and locks in memory, and pushes those lockouts to Redis when it reconnects. A valid key
 * never clears a count or a lockout (a guesser holding one valid key could otherwise reset its
 * count); only an administrator lifts a lockout (`ndxp keys unlock`, admin API), and that is
 * recorded in the audit trail.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../../config/config.js';
import { GatewayError } from '../../core/errors.js';
import { normalizeSerial } from '../../core/serial.js';
import { isRedisTimeout } from '../redis/health.js';

export interface LockoutClient {
  /** Normalised serial of the client certificate, when the client presented one. */
  certSerial?: string;
  remoteAddress?: string;
}

export interface Lockout {
  /** `cert:<SERIAL>` or `addr:<address>`: what `ndxp keys unlock` takes. */
  id: string;
  kind: 'cert' | 'addr';
  /** The serial or address. */
  subject: string;
  /** How many times this client has been locked out in a row (the exponent of the growth). */
  level: number;
  /** Invalid keys that triggered this lockout. */
  failures: number;
  durationSeconds: number;
  lockedAt: string;
  lockedUntil: string;
  retryAfterSeconds: number;
  lastRemoteAddress?: string;
  /** Where the lockout is held: shared in Redis, or only in this node's memory (Redis was down). */
  source: 'redis' | 'memory';
}

export interface InvalidKeyOutcome {
  id: string;
  /** Invalid keys counted in the current window (the count restarts after a lockout). */
  failures: number;
  lockedOut: boolean;
  retryAfterSeconds?: number;
}

/** Thrown by reads that must see the shared state (listings for operators) when Redis is unreachable. */
export class LockoutStoreUnavailable extends GatewayError {
  /** REDIS_KHONG_PHAN_HOI when Redis accepts connections but does not answer; REDIS_KHONG_KET_NOI otherwise. */
  declare readonly code: 'REDIS_KHONG_KET_NOI' | 'REDIS_KHONG_PHAN_HOI';
  constructor(
    readonly lockoutsOnThisNode: Lockout[],
    cause: unknown,
    hung = false,
  ) {
    super(hung ? 'REDIS_KHONG_PHAN_HOI' : 'REDIS_KHONG_KET_NOI', {}, cause instanceof Error ? cause.message : String(cause));
    this.cause = cause;
    this.name = 'LockoutStoreUnavailable';
  }
}

/** The id a client is counted under. IPv4-mapped IPv6 addresses count as their IPv4 address. */
export function lockoutId(client: LockoutClient): string {
  // Serials are spelled as everywhere else in the gateway (uppercase hex, no leading zeros), so
  // the id matches `ndxp certs list` whatever spelling the caller passes.
  if (client.certSerial) return `cert:${normalizeSerial(client.certSerial) || client.certSerial.toUpperCase()}`;
  const addr = (client.remoteAddress ?? 'unknown').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
  return `addr:${addr}`;
}

/** An id typed by an operator (`cert:0a:1b…`, `addr:::ffff:10.0.0.1`) in the spelling lockoutId produces. */
export function normalizeLockoutId(id: string): string {
  const trimmed = id.trim();
  if (/^cert:/i.test(trimmed)) return lockoutId({ certSerial: trimmed.slice(5) });
  if (/^addr:/i.test(trimmed)) return lockoutId({ remoteAddress: trimmed.slice(5) });
  return trimmed;
}

function parseId(id: string): { kind: 'cert' | 'addr'; subject: string } {
  const idx = id.indexOf(':');
  const kind = id.slice(0, idx) === 'cert' ? 'cert' : 'addr';
  return { kind, subject: id.slice(idx + 1) };
}

export function lockoutSeconds(config: Config, level: number): number {
  const rl = config.rateLimit;
  return Math.min(rl.lockoutMaxSeconds, rl.lockoutBaseSeconds * 2 ** Math.max(0, level - 1));
}

// KEYS: failure counter, state hash, index (sorted set of ids by lockedUntil)
// ARGV: nowMs, threshold, windowSeconds, baseSeconds, maxSeconds, id, remoteAddress
const NOTE_INVALID = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], window) end
redis.call('HSET', KEYS[2], 'id', ARGV[6], 'lastFailureAt', ARGV[1], 'lastRemoteAddress', ARGV[7])
if n < tonumber(ARGV[2]) then
  if redis.call('PTTL', KEYS[2]) < window * 1000 then redis.call('PEXPIRE', KEYS[2], window * 1000) end
  return {0, n, 0, 0}
end
redis.call('DEL', KEYS[1])
local level = redis.call('HINCRBY', KEYS[2], 'level', 1)
local dur = tonumber(ARGV[4]) * math.pow(2, level - 1)
if dur > tonumber(ARGV[5]) then dur = tonumber(ARGV[5]) end
local untilMs = now + dur * 1000
redis.call('HSET', KEYS[2], 'lockedAt', ARGV[1], 'lockedUntil', string.format('%.0f', untilMs), 'failures', n, 'durationSeconds', dur)
redis.call('PEXPIRE', KEYS[2], string.format('%.0f', (dur + tonumber(ARGV[5])) * 1000))
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
redis.call('ZADD', KEYS[3], string.format('%.0f', untilMs), ARGV[6])
return {1, n, level, string.format('%.0f', untilMs)}
`;

// Pushes a lockout decided from memory during an outage; keeps whichever lockout lasts longer.
// KEYS: state, index; ARGV: id, level, lockedAt, lockedUntil, failures, durationSeconds, lastRemoteAddress, maxSeconds, nowMs
const MERGE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
if current >= tonumber(ARGV[4]) then return 0 end
local level = tonumber(redis.call('HGET', KEYS[1], 'level') or '0')
if tonumber(ARGV[2]) > level then level = tonumber(ARGV[2]) end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'level', level, 'lockedAt', ARGV[3], 'lockedUntil', ARGV[4], 'failures', ARGV[5], 'durationSeconds', ARGV[6], 'lastRemoteAddress', ARGV[7])
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', tonumber(ARGV[4]) - tonumber(ARGV[9]) + tonumber(ARGV[8]) * 1000))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
`;

interface MemoryState {
  level: number;
  failures: number;
  windowEndsAt: number;
  lockedAt?: number;
  lockedUntil?: number;
  durationSeconds?: number;
  lastRemoteAddress?: string;
  /** Forget the level after this (lockoutMaxSeconds after the lockout ends). */
  forgetAt: number;
  /** A lockout decided here while Redis was down, not yet pushed to Redis. */
  unsynced: boolean;
}

type LockoutRedis = Redis & {
  ndxpLockoutNote(fail: string, state: string, index: string, ...args: string[]): Promise<[number, number, number, string | number]>;
  ndxpLockoutMerge(state: string, index: string, ...args: string[]): Promise<number>;
};

export class LockoutTracker {
  private readonly memory = new Map<string, MemoryState>();
  private readonly redis: LockoutRedis | null;
  private readonly prefix: string;

  constructor(
    private readonly config: Config,
    redis: Redis | null,
    private readonly onLockout: (id: string, seconds: number) => void = () => undefined,
    /** False while Redis is known to hang (gateway/redis/health.ts): decide from memory without waiting for it. */
    private readonly redisAnswers: () => boolean = () => true,
  ) {
    this.prefix = `${config.redisPrefix}:lockout`;
    this.redis = redis as LockoutRedis | null;
    if (redis) {
      redis.defineCommand('ndxpLockoutNote', { numberOfKeys: 3, lua: NOTE_INVALID });
      redis.defineCommand('ndxpLockoutMerge', { numberOfKeys: 2, lua: MERGE });
      redis.on('ready', () => void this.syncMemoryToRedis());
    }
  }

  private keys(id: string) {
    return { fail: `${this.prefix}:fail:${id}`, state: `${this.prefix}:state:${id}`, index: `${this.prefix}:index` };
  }

  /** Counts one invalid connection key from this client; may start a lockout. */
  async noteInvalidKey(client: LockoutClient, now = Date.now()): Promise<InvalidKeyOutcome> {
    const id = lockoutId(client);
    if (this.redis && this.redisAnswers()) {
      try {
        const k = this.keys(id);
        const rl = this.config.rateLimit;
        const [locked, failures, , untilMs] = await this.redis.ndxpLockoutNote(
          k.fail, k.state, k.index,
          String(now), String(rl.lockoutThreshold), String(rl.lockoutWindowSeconds),
          String(rl.lockoutBaseSeconds), String(rl.lockoutMaxSeconds), id, client.remoteAddress ?? '',
        );
        if (locked !== 1) return { id, failures: Number(failures), lockedOut: false };
        const retryAfterSeconds = Math.max(1, Math.ceil((Number(untilMs) - now) / 1000));
        this.onLockout(id, retryAfterSeconds);
        return { id, failures: Number(failures), lockedOut: true, retryAfterSeconds };
      } catch {
        // Redis unreachable or slow: count on this node so guessing is still stopped.
      }
    }
    return this.noteInMemory(id, client.remoteAddress, now);
  }

  private noteInMemory(id: string, remoteAddress: string | undefined, now: number): InvalidKeyOutcome {
    const rl = this.config.rateLimit;
    let state = this.memory.get(id);
    if (state && state.forgetAt <= now) state = undefined;
    if (!state) {
      state = { level: 0, failures: 0, windowEndsAt: 0, forgetAt: 0, unsynced: false };
      this.memory.set(id, state);
    }
    if (state.windowEndsAt <= now) {
      state.failures = 0;
      state.windowEndsAt = now + rl.lockoutWindowSeconds * 1000;
    }
    state.failures += 1;
    state.lastRemoteAddress = remoteAddress;
    state.forgetAt = Math.max(state.forgetAt, state.windowEndsAt);
    if (state.failures < rl.lockoutThreshold) return { id, failures: state.failures, lockedOut: false };
    const failures = state.failures;
    state.level += 1;
    state.failures = 0;
    state.windowEndsAt = 0;
    state.durationSeconds = lockoutSeconds(this.config, state.level);
    state.lockedAt = now;
    state.lockedUntil = now + state.durationSeconds * 1000;
    state.forgetAt = state.lockedUntil + rl.lockoutMaxSeconds * 1000;
    state.unsynced = this.redis !== null;
    this.onLockout(id, state.durationSeconds);
    return { id, failures, lockedOut: true, retryAfterSeconds: state.durationSeconds };
  }

  /** Seconds this client must still wait, or 0 when it is not locked out. */
  async retryAfter(client: LockoutClient, now = Date.now()): Promise<number> {
    const id = lockoutId(client);
    let until = 0;
    const mem = this.memory.get(id);
    if (mem?.lockedUntil && mem.lockedUntil > now) until = mem.lockedUntil;
    if (this.redis && this.redisAnswers()) {
      try {
        const shared = await this.redis.hget(this.keys(id).state, 'lockedUntil');
        if (shared && Number(shared) > until) until = Number(shared);
      } catch {
        // Unreachable: this node's memory is all we know.
      }
    }
    return until > now ? Math.max(1, Math.ceil((until - now) / 1000)) : 0;
  }

  /** Active lockouts, shared ones first. Throws LockoutStoreUnavailable when Redis cannot be read. */
  async list(now = Date.now()): Promise<Lockout[]> {
    const local = this.memoryLockouts(now);
    if (!this.redis) return local;
    if (!this.redisAnswers()) throw new LockoutStoreUnavailable(local, new Error('Redis hangs'), true);
    let shared: Lockout[];
    try {
      const index = this.keys('').index;
      await this.redis.zremrangebyscore(index, '-inf', String(now));
      const ids = await this.redis.zrange(index, '0', '-1');
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.keys(id).state);
      const results = ids.length ? ((await pipeline.exec()) ?? []) : [];
      shared = [];
      ids.forEach((id, i) => {
        const [err, raw] = results[i] ?? [];
        const h = (err ? {} : raw) as Record<string, string>;
        const until = Number(h.lockedUntil ?? 0);
        if (until <= now) return;
        shared.push(this.describe(id, 'redis', now, {
          level: Number(h.level ?? 1),
          failures: Number(h.failures ?? 0),
          durationSeconds: Number(h.durationSeconds ?? 0),
          lockedAt: Number(h.lockedAt ?? now),
          lockedUntil: until,
          lastRemoteAddress: h.lastRemoteAddress || undefined,
        }));
      });
    } catch (err) {
      throw new LockoutStoreUnavailable(local, err, !this.redisAnswers() || isRedisTimeout(err));
    }
    const sharedIds = new Set(shared.map((l) => l.id));
    return [...shared, ...local.filter((l) => !sharedIds.has(l.id))].sort((a, b) => a.lockedUntil.localeCompare(b.lockedUntil));
  }

  /** Lifts a lockout and forgets the client's count and level. Resolves what was lifted, or null. */
  async lift(rawId: string, now = Date.now()): Promise<Lockout | null> {
    const id = normalizeLockoutId(rawId);
    const before = (await this.list(now)).find((l) => l.id === id) ?? null;
    this.memory.delete(id);
    if (this.redis) {
      const k = this.keys(id);
      try {
        await this.redis.multi().del(k.state).del(k.fail).zrem(k.index, id).exec();
      } catch (err) {
        throw new LockoutStoreUnavailable(this.memoryLockouts(now), err, !this.redisAnswers() || isRedisTimeout(err));
      }
    }
    return before;
  }

  private memoryLockouts(now: number): Lockout[] {
    const out: Lockout[] = [];
    for (const [id, s] of this.memory) {
      if (s.forgetAt <= now) {
        this.memory.delete(id);
        continue;
      }
      if (!s.lockedUntil || s.lockedUntil <= now) continue;
      out.push(this.describe(id, 'memory', now, {
        level: s.level,
        failures: s.failures,
        durationSeconds: s.durationSeconds ?? 0,
        lockedAt: s.lockedAt ?? now,
        lockedUntil: s.lockedUntil,
        lastRemoteAddress: s.lastRemoteAddress,
      }));
    }
    return out;
  }

  private describe(
    id: string,
    source: 'redis' | 'memory',
    now: number,
    s: { level: number; failures: number; durationSeconds: number; lockedAt: number; lockedUntil: number; lastRemoteAddress?: string },
  ): Lockout {
    const { kind, subject } = parseId(id);
    return {
      id,
      kind,
      subject,
      level: s.level,
      failures: s.failures,
      durationSeconds: s.durationSeconds,
      lockedAt: new Date(s.lockedAt).toISOString(),
      lockedUntil: new Date(s.lockedUntil).toISOString(),
      retryAfterSeconds: Math.max(1, Math.ceil((s.lockedUntil - now) / 1000)),
      ...(s.lastRemoteAddress ? { lastRemoteAddress: s.lastRemoteAddress } : {}),
      source,
    };
  }

  /** After an outage: make the lockouts this node decided alone visible to every node. */
  async syncMemoryToRedis(now = Date.now()): Promise<void> {
    if (!this.redis) return;
    for (const [id, s] of this.memory) {
      if (!s.unsynced || !s.lockedUntil || s.lockedUntil <= now) continue;
      const k = this.keys(id);
      try {
        await this.redis.ndxpLockoutMerge(
          k.state, k.index, id, String(s.level), String(s.lockedAt ?? now), String(s.lockedUntil),
          String(s.failures), String(s.durationSeconds ?? 0), s.lastRemoteAddress ?? '', String(this.config.rateLimit.lockoutMaxSeconds), String(now),
        );
        this.memory.delete(id);
      } catch {
        return; // still down; the next 'ready' tries again
      }
    }
  }
}
