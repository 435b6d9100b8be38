/**
 * Sends claimed outbox rows to the central database and records what came of each attempt:
 * profiles of one sending unit go through `profiles:batch` (chunks of `batchSize`) when there are
 * several, units one by one; every attempt lands in the outbox row (under the claim) and in the
 * audit trail, and feeds the circuit breaker. Retryable failures get their next attempt time
 * (exponential backoff with full jitter, never earlier than Retry-After) or are dead-lettered
 * when the attempt cap or the age cap is reached.
 */
import type { Kysely } from 'kysely';
import type { AppContext } from '../../core/context.js';
import type { DB } from '../../core/store/schema.js';
import type { OutboxRow } from '../../core/store/tables/delivery.js';
import type { KetQua } from '../../adapters/national/profile.js';
import { batchIdempotencyKey } from './idempotency.js';
import type { CentralClient, Classified, CallHeaders } from './central-client.js';
import type { CircuitBreaker } from './breaker.js';
import { finishAttempt, type AttemptResult } from './outbox.js';
import { deliveryAttempts, deliveryBatchSize, deliveryCallDuration } from './metrics.js';
import type { TrackingStateName } from './types.js';

/**
 * Who holds the claim of a row: one owner for every row, or per row (a coalesced call carries
 * rows claimed by different callers, and each is recorded under its own claim).
 */
export type Owners = string | ((row: OutboxRow) => string);

const ownerOf = (owners: Owners, row: OutboxRow): string => (typeof owners === 'string' ? owners : owners(row));

/** A profile row's lane: what one profiles:batch call may carry (one sending unit, one software id). */
export const laneOf = (row: OutboxRow): string => `${row.unit_code}\u0000${row.software_id ?? ''}`;

export interface RowOutcome {
  trackingId: string;
  /** The state written to the outbox; undefined if the claim was lost meanwhile. */
  state: TrackingStateName | undefined;
  classified: Classified;
  nextAttemptAt?: number;
}

/** Full-jitter exponential backoff: uniform in [0, min(max, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.floor(random() * ceiling);
}

/**
 * The trail's details of one attempt. Built by assignment rather than with conditional spreads:
 * on Node 20 spreading into an object literal costs several times more, once per record.
 */
function attemptDetails(attempt: number, c: Classified, batchSize: number, nextAttemptAt: number | undefined, claimLost: boolean): Record<string, unknown> {
  const details: Record<string, unknown> = { attempt, httpStatus: c.status, batchSize };
  if (c.outcome === 'retry') {
    details.nextAttemptAt = nextAttemptAt;
    details.retryAfterMs = c.retryAfterMs;
    details.network = c.network;
  }
  if (claimLost) details.claimLost = true;
  return details;
}

/** An attempt's error text, the one form every reader shows: the message, then its code once. */
function errorText(c: { message: string; code: string }): string {
  return `${c.message} (${c.code})`;
}

export class Sender {
  constructor(
    private readonly ctx: AppContext,
    private readonly central: CentralClient,
    private readonly breaker: CircuitBreaker,
  ) {}

  /**
   * Sends `rows` (claimed by `owner`, or each by its own owner). `onOutcome` is called for each
   * row as soon as its call returns, so a caller racing a deadline can answer for the rows that
   * are done.
   */
  async send(rows: OutboxRow[], owner: Owners, onOutcome: (o: RowOutcome) => void = () => undefined): Promise<RowOutcome[]> {
    const { batchSize } = this.ctx.config.delivery;
    const groups = new Map<string, OutboxRow[]>();
    const singles: OutboxRow[] = [];
    for (const row of rows) {
      if (row.kind !== 'profile') {
        singles.push(row);
        continue;
      }
      const key = laneOf(row);
      const g = groups.get(key) ?? [];
      g.push(row);
      groups.set(key, g);
    }
    const calls: Promise<RowOutcome[]>[] = [];
    for (const group of groups.values()) {
      if (group.length === 1) {
        calls.push(this.sendSingle(group[0], owner, onOutcome));
        continue;
      }
      for (let i = 0; i < group.length; i += batchSize) calls.push(this.sendBatch(group.slice(i, i + batchSize), owner, onOutcome));
    }
    for (const row of singles) calls.push(this.sendSingle(row, owner, onOutcome));
    return (await Promise.all(calls)).flat();
  }

  private headers(row: OutboxRow, idempotencyKey: string): CallHeaders {
    return { idempotencyKey, unitCode: row.unit_code, softwareId: row.software_id, requestId: row.request_id };
  }

  private async sendSingle(row: OutboxRow, owners: Owners, onOutcome: (o: RowOutcome) => void): Promise<RowOutcome[]> {
    const started = Date.now();
    const h = this.headers(row, row.idempotency_key!);
    let classified: Classified;
    let operation: string;
    if (row.kind === 'unit') {
      operation = 'upsertUnit';
      classified = await this.central.upsertUnit(row.subject_id!, row.body!, h);
    } else {
      operation = 'upsertProfile';
      classified = await this.central.upsertProfile(row.body!, h);
    }
    this.feedBreaker([classified]);
    deliveryCallDuration.observe({ operation }, (Date.now() - started) / 1000);
    const outcome = await this.record(row, ownerOf(owners, row), classified, Date.now() - started, operation, 1);
    onOutcome(outcome);
    return [outcome];
  }

  private async sendBatch(rows: OutboxRow[], owners: Owners, onOutcome: (o: RowOutcome) => void): Promise<RowOutcome[]> {
    const started = Date.now();
    const key = batchIdempotencyKey(rows.map((r) => r.idempotency_key!));
    const answer = await this.central.upsertProfiles(
      rows.map((r) => r.body!),
      this.headers(rows[0], key),
    );
    const latency = Date.now() - started;
    deliveryCallDuration.observe({ operation: 'upsertProfiles' }, latency / 1000);
    deliveryBatchSize.observe(rows.length);
    if ('whole' in answer && answer.whole.outcome === 'rejected' && (answer.whole.status === 400 || answer.whole.status === 422)) {
      // The batch as a whole was refused (one bad record can do that): send each record on its
      // own so every record gets its own final answer instead of sharing one refusal.
      this.breaker.success();
      return (await Promise.all(rows.map((r) => this.sendSingle(r, owners, onOutcome)))).flat();
    }
    const results = 'perRecord' in answer ? answer.perRecord : rows.map(() => answer.whole);
    this.feedBreaker('perRecord' in answer ? [{ outcome: 'delivered', status: 200, answer: { trangThai: 'KHONG_DOI' } }] : [answer.whole]);
    // One transaction for the whole batch's bookkeeping: hundreds of row updates commit at once.
    const outcomes = await this.ctx.store.db.transaction().execute(async (trx) => {
      const out: RowOutcome[] = [];
      for (let i = 0; i < rows.length; i++) out.push(await this.record(rows[i], ownerOf(owners, rows[i]), results[i], latency, 'upsertProfiles', rows.length, trx));
      return out;
    });
    for (const o of outcomes) onOutcome(o);
    return outcomes;
  }

  private feedBreaker(results: Classified[]): void {
    const failure = results.find((r) => r.outcome === 'retry');
    if (failure && failure.outcome === 'retry') this.breaker.failure(`${failure.code}: ${failure.message}`, failure.retryAfterMs);
    else this.breaker.success();
  }

  private async record(row: OutboxRow, owner: string, c: Classified, latencyMs: number, operation: string, batchSize: number, db: Kysely<DB> = this.ctx.store.db): Promise<RowOutcome> {
    const { delivery } = this.ctx.config;
    const attempt = Number(row.attempts) + 1;
    const now = Date.now();
    let result: AttemptResult;
    let nextAttemptAt: number | undefined;
    if (c.outcome === 'retry') {
      const error = errorText(c);
      nextAttemptAt = now + Math.max(backoffDelay(attempt, delivery.backoffBaseMs, delivery.backoffMaxMs), c.retryAfterMs ?? 0);
      const tooOld = nextAttemptAt - Number(row.window_start) > delivery.maxAgeHours * 3_600_000;
      const deadReason =
        attempt >= delivery.maxAttempts
          ? `Đã thử ${attempt} lần không thành công (VUOT_SO_LAN_THU); lỗi cuối: ${error}`
          : tooOld
            ? `Quá ${delivery.maxAgeHours} giờ chưa gửi được (QUA_THOI_HAN_GUI); lỗi cuối: ${error}`
            : undefined;
      result = { state: 'retry', httpStatus: c.status, error, nextAttemptAt, deadReason };
    } else if (c.outcome === 'delivered') {
      result = { state: 'delivered', httpStatus: c.status, answer: c.answer };
    } else {
      result = { state: c.outcome, httpStatus: c.status, answer: c.answer, error: errorText(c) };
    }
    const state = await finishAttempt(db, row.tracking_id, owner, result);
    deliveryAttempts.inc({ operation, outcome: state === 'dead' ? 'dead' : c.outcome });
    this.ctx.audit.record({
      kind: 'delivery',
      requestId: row.request_id ?? undefined,
      trackingIds: [row.tracking_id],
      keyId: row.key_id ?? undefined,
      softwareId: row.software_id ?? undefined,
      unitCode: row.unit_code,
      front: row.front ?? undefined,
      operation,
      personalIds: row.kind === 'profile' && row.subject_id ? [row.subject_id] : undefined,
      outcome: state === 'dead' ? 'dead' : c.outcome === 'retry' ? 'retry' : c.outcome,
      code: c.outcome === 'delivered' ? (c.answer as KetQua).trangThai : c.code,
      latencyMs,
      details: attemptDetails(attempt, c, batchSize, nextAttemptAt, state === undefined),
    });
    return { trackingId: row.tracking_id, state, classified: c, nextAttemptAt };
  }
}
