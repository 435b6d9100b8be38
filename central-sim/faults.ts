/**
 * Faults on demand: the ways the real central database misbehaves (maintenance, overload, slow
 * answers, lost answers), as a JSON document that can be given at start or changed at run time.
 *
 * Each fault may be scoped to some paths/methods and to a count ("the next N matching requests");
 * a counted fault disappears once it has fired that many times. Random failures use a seeded RNG
 * so a failing run can be reproduced exactly.
 */

export interface FaultScope {
  /** Paths the fault applies to: exact, or a prefix when the entry ends with `*`. Default: every API path. */
  paths?: string[];
  /** HTTP methods the fault applies to (upper case). Default: all. */
  methods?: string[];
  /** Fire at most this many times, then disappear. Default: until changed. */
  count?: number;
}

export type RandomFailureKind = '503' | '500' | 'reset' | 'failAfterCommit';

/** The fault document (`--faults JSON`, `POST /__sim/faults`, `setFaults`). Every member is optional. */
export interface FaultSet {
  /** Refuse connections: `refuse` closes the listener (ECONNREFUSED), `reset` accepts and destroys
   *  each socket at once. `forMs` brings the listener back by itself. */
  down?: boolean | { mode?: 'refuse' | 'reset'; forMs?: number };
  /** Added delay before a request is handled. */
  latencyMs?: number | ({ ms: number; jitterMs?: number } & FaultScope);
  /** 503 with Retry-After (seconds, default 1); nothing is applied. */
  status503?: boolean | ({ retryAfter?: number } & FaultScope);
  /** 429 with Retry-After (seconds, default 1); nothing is applied. */
  status429?: boolean | ({ retryAfter?: number } & FaultScope);
  /** Any other answer (e.g. 401, 403, 500) with the contract's error body; nothing is applied. */
  status?: { code: number; ma?: string; moTa?: string; retryAfter?: number } & FaultScope;
  /** Accept the request and never answer (until the caller gives up or the simulator stops). */
  hang?: boolean | FaultScope;
  /** Apply the write, then lose the answer: a 500, a reset connection, or no answer at all. */
  failAfterCommit?: boolean | ({ answer?: '500' | 'reset' | 'hang' } & FaultScope);
  /** A share (0..1) of matching requests fails, drawn from the kinds given (default 503, 500, reset). */
  randomFailureRate?: number | ({ rate: number; kinds?: RandomFailureKind[]; retryAfter?: number } & FaultScope);
  /** Seed of the RNG used by randomFailureRate (default 1). */
  seed?: number;
}

export type FaultName = 'latencyMs' | 'status503' | 'status429' | 'status' | 'hang' | 'failAfterCommit' | 'randomFailureRate';

/** What the server must do with one request before it handles it. */
export type PreDecision = { /** added latency, applied before whatever follows */ delayMs: number } & (
  | { kind: 'none'; /** a random failure chose to lose this write's answer */ loseAnswer?: boolean }
  | { kind: 'hang' }
  | { kind: 'reset' }
  | { kind: 'respond'; status: number; retryAfter?: number; ma?: string; moTa?: string; fault: string }
);

interface Rule {
  name: FaultName;
  scope: FaultScope;
  remaining?: number;
  params: Record<string, unknown>;
}

export class FaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FaultError';
  }
}

const API_DEFAULT_RETRY_AFTER = 1;

/** Mulberry32: tiny, fast, and good enough for choosing which request fails. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkScope(name: string, s: FaultScope): FaultScope {
  if (s.paths !== undefined && (!Array.isArray(s.paths) || s.paths.some((p) => typeof p !== 'string'))) {
    throw new FaultError(`${name}.paths phải là danh sách đường dẫn`);
  }
  if (s.methods !== undefined && (!Array.isArray(s.methods) || s.methods.some((m) => typeof m !== 'string'))) {
    throw new FaultError(`${name}.methods phải là danh sách phương thức HTTP`);
  }
  if (s.count !== undefined && !(Number.isInteger(s.count) && s.count > 0)) {
    throw new FaultError(`${name}.count phải là số nguyên dương`);
  }
  return { paths: s.paths, methods: s.methods?.map((m) => m.toUpperCase()), count: s.count };
}

function nonNegativeInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FaultError(`${name} phải là số nguyên không âm`);
  return v;
}

/** Validates and normalises a fault document; throws FaultError (Vietnamese) naming the bad member. */
export function parseFaults(input: unknown): FaultSet {
  if (input === null || input === undefined) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new FaultError('Cấu hình lỗi giả lập phải là một đối tượng JSON');
  const f = input as Record<string, unknown>;
  const known = ['down', 'latencyMs', 'status503', 'status429', 'status', 'hang', 'failAfterCommit', 'randomFailureRate', 'seed'];
  for (const k of Object.keys(f)) if (!known.includes(k)) throw new FaultError(`Không có loại lỗi giả lập "${k}" (có: ${known.join(', ')})`);
  const out: FaultSet = {};
  if (f.down !== undefined && f.down !== false) {
    if (f.down === true) out.down = { mode: 'refuse' };
    else if (typeof f.down === 'object' && f.down) {
      const d = f.down as Record<string, unknown>;
      const mode = d.mode ?? 'refuse';
      if (mode !== 'refuse' && mode !== 'reset') throw new FaultError('down.mode phải là refuse hoặc reset');
      out.down = { mode, forMs: d.forMs === undefined ? undefined : nonNegativeInt('down.forMs', d.forMs, 0) };
    } else throw new FaultError('down phải là true/false hoặc {mode, forMs}');
  }
  if (f.latencyMs !== undefined) {
    if (typeof f.latencyMs === 'number') out.latencyMs = nonNegativeInt('latencyMs', f.latencyMs, 0);
    else if (typeof f.latencyMs === 'object' && f.latencyMs) {
      const l = f.latencyMs as Record<string, unknown>;
      out.latencyMs = {
        ms: nonNegativeInt('latencyMs.ms', l.ms, 0),
        jitterMs: nonNegativeInt('latencyMs.jitterMs', l.jitterMs, 0),
        ...checkScope('latencyMs', l),
      };
    } else throw new FaultError('latencyMs phải là số mili giây hoặc {ms, jitterMs, paths, count}');
  }
  for (const name of ['status503', 'status429'] as const) {
    const v = f[name];
    if (v === undefined || v === false) continue;
    if (v === true) out[name] = { retryAfter: API_DEFAULT_RETRY_AFTER };
    else if (typeof v === 'object' && v) {
      const o = v as Record<string, unknown>;
      out[name] = { retryAfter: nonNegativeInt(`${name}.retryAfter`, o.retryAfter, API_DEFAULT_RETRY_AFTER), ...checkScope(name, o) };
    } else throw new FaultError(`${name} phải là true hoặc {retryAfter, paths, count}`);
  }
  if (f.status !== undefined) {
    const o = f.status as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.code !== 'number' || !Number.isInteger(o.code) || o.code < 400 || o.code > 599) {
      throw new FaultError('status phải là {code: 400..599, ma?, moTa?, retryAfter?}');
    }
    out.status = {
      code: o.code,
      ma: typeof o.ma === 'string' ? o.ma : undefined,
      moTa: typeof o.moTa === 'string' ? o.moTa : undefined,
      retryAfter: o.retryAfter === undefined ? undefined : nonNegativeInt('status.retryAfter', o.retryAfter, 0),
      ...checkScope('status', o),
    };
  }
  if (f.hang !== undefined && f.hang !== false) {
    if (f.hang === true) out.hang = true;
    else if (typeof f.hang === 'object' && f.hang) out.hang = checkScope('hang', f.hang as FaultScope);
    else throw new FaultError('hang phải là true hoặc {paths, count}');
  }
  if (f.failAfterCommit !== undefined && f.failAfterCommit !== false) {
    if (f.failAfterCommit === true) out.failAfterCommit = { answer: '500' };
    else if (typeof f.failAfterCommit === 'object' && f.failAfterCommit) {
      const o = f.failAfterCommit as Record<string, unknown>;
      const answer = o.answer ?? '500';
      if (answer !== '500' && answer !== 'reset' && answer !== 'hang') throw new FaultError('failAfterCommit.answer phải là 500, reset hoặc hang');
      out.failAfterCommit = { answer, ...checkScope('failAfterCommit', o) };
    } else throw new FaultError('failAfterCommit phải là true hoặc {answer, paths, count}');
  }
  if (f.randomFailureRate !== undefined) {
    const o: Record<string, unknown> =
      typeof f.randomFailureRate === 'number' ? { rate: f.randomFailureRate } : (f.randomFailureRate as Record<string, unknown>);
    if (!o || typeof o !== 'object' || typeof o.rate !== 'number' || !(o.rate >= 0 && o.rate <= 1)) {
      throw new FaultError('randomFailureRate phải là tỉ lệ 0..1 hoặc {rate, kinds, retryAfter, paths, count}');
    }
    const kinds = (o.kinds ?? ['503', '500', 'reset']) as unknown[];
    const allowed: RandomFailureKind[] = ['503', '500', 'reset', 'failAfterCommit'];
    if (!Array.isArray(kinds) || kinds.length === 0 || kinds.some((k) => !allowed.includes(k as RandomFailureKind))) {
      throw new FaultError(`randomFailureRate.kinds chỉ gồm: ${allowed.join(', ')}`);
    }
    out.randomFailureRate = {
      rate: o.rate,
      kinds: kinds as RandomFailureKind[],
      retryAfter: nonNegativeInt('randomFailureRate.retryAfter', o.retryAfter, API_DEFAULT_RETRY_AFTER),
      ...checkScope('randomFailureRate', o),
    };
  }
  if (f.seed !== undefined) {
    if (typeof f.seed !== 'number' || !Number.isInteger(f.seed)) throw new FaultError('seed phải là số nguyên');
    out.seed = f.seed;
  }
  return out;
}

function matches(scope: FaultScope, method: string, path: string): boolean {
  if (scope.methods && !scope.methods.includes(method)) return false;
  if (!scope.paths) return true;
  return scope.paths.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p));
}

/**
 * The live fault state of one simulator: decides, per request, what to inject, counts what it
 * injected, and retires counted faults.
 */
export class FaultState {
  private rules: Rule[] = [];
  private random: () => number = seededRandom(1);
  private current: FaultSet = {};
  /** @param onInject told the name of every fault injected, for the simulator's counters. */
  constructor(
    initial: FaultSet = {},
    private readonly onInject: (name: string) => void = () => undefined,
  ) {
    this.set(initial);
  }

  set(faults: FaultSet): void {
    this.current = faults;
    this.random = seededRandom(faults.seed ?? 1);
    const rules: Rule[] = [];
    const add = (name: FaultName, value: unknown, params: Record<string, unknown>) => {
      const scope = typeof value === 'object' && value ? (value as FaultScope) : {};
      rules.push({ name, scope, remaining: scope.count, params });
    };
    if (faults.latencyMs !== undefined) {
      const l = faults.latencyMs;
      if (typeof l === 'number') add('latencyMs', undefined, { ms: l, jitterMs: 0 });
      else add('latencyMs', l, { ms: l.ms, jitterMs: l.jitterMs ?? 0 });
    }
    if (faults.hang) add('hang', faults.hang, {});
    if (faults.status) add('status', faults.status, { ...faults.status });
    if (faults.status503) add('status503', faults.status503, { retryAfter: typeof faults.status503 === 'object' ? faults.status503.retryAfter : 1 });
    if (faults.status429) add('status429', faults.status429, { retryAfter: typeof faults.status429 === 'object' ? faults.status429.retryAfter : 1 });
    if (faults.randomFailureRate !== undefined) {
      const r = typeof faults.randomFailureRate === 'number' ? { rate: faults.randomFailureRate } : faults.randomFailureRate;
      add('randomFailureRate', r, { rate: r.rate, kinds: r.kinds ?? ['503', '500', 'reset'], retryAfter: r.retryAfter ?? 1 });
    }
    if (faults.failAfterCommit) {
      const answer = typeof faults.failAfterCommit === 'object' ? (faults.failAfterCommit.answer ?? '500') : '500';
      add('failAfterCommit', faults.failAfterCommit, { answer });
    }
    this.rules = rules;
  }

  get down(): { mode: 'refuse' | 'reset'; forMs?: number } | undefined {
    const d = this.current.down;
    if (!d) return undefined;
    return d === true ? { mode: 'refuse' } : { mode: d.mode ?? 'refuse', forMs: d.forMs };
  }

  clearDown(): void {
    const { down: _down, ...rest } = this.current;
    this.current = rest;
  }

  /** The fault document now in force, with counted faults showing how many firings remain. */
  snapshot(): FaultSet & { remaining: Record<string, number> } {
    const remaining: Record<string, number> = {};
    for (const r of this.rules) if (r.remaining !== undefined) remaining[r.name] = r.remaining;
    const live = new Set(this.rules.map((r) => r.name));
    const doc: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.current)) if (k === 'down' || k === 'seed' || live.has(k as FaultName)) doc[k] = v;
    return { ...(doc as FaultSet), remaining };
  }

  private count(name: string): void {
    this.onInject(name);
  }

  private fire(rule: Rule): void {
    if (rule.remaining !== undefined) {
      rule.remaining -= 1;
      if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    }
  }

  /** Decides what happens to an API request before it is handled. */
  before(method: string, path: string): PreDecision {
    let delayMs = 0;
    let loseAnswer = false;
    for (const rule of [...this.rules]) {
      if (!matches(rule.scope, method, path)) continue;
      switch (rule.name) {
        case 'latencyMs': {
          const jitter = Number(rule.params.jitterMs) || 0;
          delayMs += Number(rule.params.ms) + (jitter ? Math.floor(this.random() * (jitter + 1)) : 0);
          this.fire(rule);
          this.count('latency');
          break;
        }
        case 'hang':
          this.fire(rule);
          this.count('hang');
          return { kind: 'hang', delayMs };
        case 'status':
          this.fire(rule);
          this.count(`status${String(rule.params.code)}`);
          return {
            kind: 'respond',
            delayMs,
            status: Number(rule.params.code),
            retryAfter: rule.params.retryAfter as number | undefined,
            ma: rule.params.ma as string | undefined,
            moTa: rule.params.moTa as string | undefined,
            fault: 'status',
          };
        case 'status503':
        case 'status429':
          this.fire(rule);
          this.count(rule.name);
          return { kind: 'respond', delayMs, status: rule.name === 'status503' ? 503 : 429, retryAfter: Number(rule.params.retryAfter), fault: rule.name };
        case 'randomFailureRate': {
          if (this.random() >= Number(rule.params.rate)) break;
          const kinds = rule.params.kinds as RandomFailureKind[];
          const kind = kinds[Math.floor(this.random() * kinds.length)];
          if (kind === 'failAfterCommit') {
            // Decided now, carried out after the write commits (see afterCommit).
            this.fire(rule);
            loseAnswer = true;
            break;
          }
          this.fire(rule);
          this.count(`random${kind === 'reset' ? 'Reset' : kind}`);
          if (kind === 'reset') return { kind: 'reset', delayMs };
          return {
            kind: 'respond',
            delayMs,
            status: Number(kind),
            retryAfter: kind === '503' ? Number(rule.params.retryAfter) : undefined,
            fault: `random${kind}`,
          };
        }
        default:
          break;
      }
    }
    return { kind: 'none', delayMs, loseAnswer };
  }

  /** After a write committed: whether to lose its answer, and how. */
  afterCommit(method: string, path: string, decision: PreDecision): '500' | 'reset' | 'hang' | undefined {
    if (decision.kind === 'none' && decision.loseAnswer) {
      this.count('randomFailAfterCommit');
      return '500';
    }
    const rule = this.rules.find((r) => r.name === 'failAfterCommit' && matches(r.scope, method, path));
    if (!rule) return undefined;
    this.fire(rule);
    this.count('failAfterCommit');
    return rule.params.answer as '500' | 'reset' | 'hang';
  }
}
