/**
 * Coalescing of concurrent synchronous sends into batch calls, per lane (one sending unit + one
 * software id: what one `profiles:batch` call may carry).
 *
 * Why: vendor A sends ONE record per SOAP call. Sent as they come, every record costs its own
 * HTTPS call to the central database (TLS writes, headers, answer parsing) and its own outcome
 * transaction; under load that per-call cost is a large part of a record's CPU. Here:
 *   - the first rows of an idle lane go out at once: no timer, so no added latency at low rates;
 *   - rows arriving while their lane has a call in flight wait; when a call finishes, everything
 *     waiting goes out together (chunks of `batchSize`, at most `maxInFlight` calls per lane).
 * Batching thus engages only under concurrency, and grows with it.
 *
 * Every row keeps its own claim: one call may carry rows claimed by different callers (owners),
 * each recorded under its own owner, and each caller is answered with its own rows' outcomes (a
 * caller racing its deadline may leave; its rows still go out and are recorded). A waiting row is
 * handed back to the queue instead of sent when the breaker opened meanwhile, or when its claim
 * would run out before a call could return (then another process may take it over).
 */
import type { OutboxRow } from '../../core/store/tables/delivery.js';
import { laneOf, type Owners, type RowOutcome } from './sender.js';

/** A claimed row and who holds its claim. */
export interface ClaimedRow {
  row: OutboxRow;
  owner: string;
}

export interface CoalescerOptions {
  /** Sends rows of one lane (at most `batchSize`) in one call, each recorded under its owner. */
  send(rows: OutboxRow[], owners: Owners, onOutcome: (o: RowOutcome) => void): Promise<RowOutcome[]>;
  /** Sends rows that are not coalesced (units) the usual way. */
  sendDirect(rows: OutboxRow[], owner: string, onOutcome: (o: RowOutcome) => void): Promise<RowOutcome[]>;
  /** Asks the breaker for one call of rows that waited (their callers' own permission was for a call that has come and gone). */
  admit(): boolean;
  /** When the breaker lets calls out again. */
  retryAt(): number;
  /** Gives waiting rows back to the queue unsent, due at `notBefore`. */
  handBack(rows: ClaimedRow[], notBefore: number): Promise<void>;
  batchSize: number;
  maxInFlight: number;
  /** A row is sent only while its claim outlives a call by this much (the per-attempt timeout plus room to record). */
  claimMarginMs: number;
}

/** One caller's rows: resolved with their outcomes once every row was sent (or handed back). */
interface Waiter {
  onOutcome: (o: RowOutcome) => void;
  left: number;
  outcomes: RowOutcome[];
  resolve(outcomes: RowOutcome[]): void;
  reject(err: unknown): void;
  settled: boolean;
}

interface Entry {
  row: OutboxRow;
  owner: string;
  waiter: Waiter;
}

interface Lane {
  inFlight: number;
  waiting: Entry[];
}

export class Coalescer {
  private readonly lanes = new Map<string, Lane>();
  private stopped = false;

  constructor(private readonly o: CoalescerOptions) {}

  /**
   * Sends claimed rows (all under `owner`): profile rows through their lane, others directly.
   * Resolves with the outcome of every row that was sent; rows handed back have none.
   */
  send(rows: OutboxRow[], owner: string, onOutcome: (o: RowOutcome) => void): Promise<RowOutcome[]> {
    const profiles = rows.filter((r) => r.kind === 'profile');
    const others = rows.filter((r) => r.kind !== 'profile');
    const mine = new Promise<RowOutcome[]>((resolve, reject) => {
      const waiter: Waiter = { onOutcome, left: profiles.length, outcomes: [], resolve, reject, settled: false };
      if (profiles.length === 0) return resolve([]);
      const byLane = new Map<string, Entry[]>();
      for (const row of profiles) {
        const key = laneOf(row);
        const list = byLane.get(key) ?? [];
        list.push({ row, owner, waiter });
        byLane.set(key, list);
      }
      for (const [key, entries] of byLane) this.enqueue(key, entries);
    });
    if (others.length === 0) return mine;
    return Promise.all([mine, this.o.sendDirect(others, owner, onOutcome)]).then(([a, b]) => a.concat(b));
  }

  /** Stops sending: rows still waiting never go out (their callers get no outcome for them); returns them so their claims can be handed back. */
  stop(): ClaimedRow[] {
    this.stopped = true;
    const left: Entry[] = [];
    for (const lane of this.lanes.values()) left.push(...lane.waiting.splice(0));
    for (const e of left) this.done(e, undefined);
    return left.map((e) => ({ row: e.row, owner: e.owner }));
  }

  /** Rows waiting for a call, over all lanes (tests, metrics). */
  get waiting(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.waiting.length;
    return n;
  }

  private enqueue(key: string, entries: Entry[]): void {
    if (this.stopped) {
      for (const e of entries) this.done(e, undefined);
      return;
    }
    const lane = this.lanes.get(key);
    if (lane) {
      // A call of this lane is out: wait for it, then go together with whatever else waits.
      lane.waiting.push(...entries);
      return;
    }
    // An idle lane sends at once (its caller already asked the breaker); what does not fit in
    // the lane's calls waits like any other row.
    const idle: Lane = { inFlight: 0, waiting: entries };
    this.lanes.set(key, idle);
    while (idle.inFlight < this.o.maxInFlight && idle.waiting.length > 0) this.call(key, idle, idle.waiting.splice(0, this.o.batchSize));
  }

  /** A call of the lane finished: what waits goes out now, in as few calls as the batch size allows. */
  private pump(key: string, lane: Lane): void {
    if (!this.stopped && lane.waiting.length > 0) {
      // Claims that would run out before a call could return are handed back, not sent:
      // another process could take such a row over and send it at the same time.
      const latest = Date.now() + this.o.claimMarginMs;
      if (lane.waiting.some((e) => Number(e.row.lease_until) <= latest)) {
        this.giveBack(
          lane.waiting.filter((e) => Number(e.row.lease_until) <= latest),
          0,
        );
        lane.waiting = lane.waiting.filter((e) => Number(e.row.lease_until) > latest);
      }
      while (lane.inFlight < this.o.maxInFlight && lane.waiting.length > 0) {
        if (!this.o.admit()) {
          // The breaker opened while these rows waited: the queue retries them when it allows.
          this.giveBack(lane.waiting.splice(0), this.o.retryAt());
          break;
        }
        this.call(key, lane, lane.waiting.splice(0, this.o.batchSize));
      }
    }
    if (lane.inFlight === 0 && lane.waiting.length === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
  }

  private call(key: string, lane: Lane, entries: Entry[]): void {
    lane.inFlight += 1;
    const byId = new Map(entries.map((e) => [e.row.tracking_id, e]));
    const owners: Owners = entries.every((e) => e.owner === entries[0].owner) ? entries[0].owner : (row) => byId.get(row.tracking_id)!.owner;
    const seen = new Set<string>();
    const onOutcome = (o: RowOutcome) => {
      const e = byId.get(o.trackingId);
      if (!e || seen.has(o.trackingId)) return;
      seen.add(o.trackingId);
      this.done(e, o);
    };
    void this.o
      .send(
        entries.map((e) => e.row),
        owners,
        onOutcome,
      )
      .then(
        (outcomes) => {
          for (const o of outcomes) onOutcome(o);
          // Every row of the call is finished now, with or without an outcome.
          for (const e of entries) if (!seen.has(e.row.tracking_id)) this.done(e, undefined);
        },
        (err: unknown) => {
          for (const e of entries) if (!seen.has(e.row.tracking_id)) this.fail(e, err);
        },
      )
      .finally(() => {
        lane.inFlight -= 1;
        this.pump(key, lane);
      });
  }

  private giveBack(entries: Entry[], notBefore: number): void {
    void this.o
      .handBack(
        entries.map((e) => ({ row: e.row, owner: e.owner })),
        notBefore,
      )
      .then(
        () => {
          for (const e of entries) this.done(e, undefined);
        },
        (err: unknown) => {
          for (const e of entries) this.fail(e, err);
        },
      );
  }

  private done(e: Entry, outcome: RowOutcome | undefined): void {
    const w = e.waiter;
    if (w.settled) return;
    if (outcome) {
      w.outcomes.push(outcome);
      w.onOutcome(outcome);
    }
    w.left -= 1;
    if (w.left === 0) {
      w.settled = true;
      w.resolve(w.outcomes);
    }
  }

  private fail(e: Entry, err: unknown): void {
    const w = e.waiter;
    if (w.settled) return;
    w.settled = true;
    w.reject(err);
  }
}
