/**
 * Delivery to the central database (implements `Delivery` from types.ts):
 *   1. accept: rows written to the outbox in one transaction BEFORE anything is answered, with
 *      coalescing per person (only the newest waiting version is sent; an older one than what is
 *      already accepted/stored is `stale` without a call);
 *   2. send now, racing the caller's deadline: rows answered in time get their final outcome,
 *      the rest are "queued" and their in-flight call still records its outcome when it returns;
 *   3. otherwise the queue retries with backoff: BullMQ when Redis is configured (the relay re-creates jobs Redis never
 *      got or lost, and the circuit breaker holds everything back while the central database
 *      is down.
 * Every send holds a claim (lease) on its outbox rows, so two paths or two processes never send
 * one row at the same time; the Idempotency-Key and the central version check make a resend
 * after a crash harmless.
 */
import { randomBytes } from 'node:crypto';
import type { Job, Worker } from 'bullmq';
import type { AppContext } from '../../core/context.js';
import { centralClientIdentity } from '../../certs/material.js';
import { GatewayError } from '../../core/errors.js';
import type { OutboxRow } from '../../core/store/tables/delivery.js';
import type { DonVi, HoSo } from '../../adapters/national/profile.js';
import type { Delivery, DeliveryOutcome, Origin, ProfileSubmission, TrackingState, UnitSubmission } from './types.js';
import { createCentralClient, type CentralClient, type CentralIdentity } from './central-client.js';
import { CircuitBreaker, type BreakerSnapshot } from './breaker.js';
import { recordIdempotencyKey, versionMillis } from './idempotency.js';
import { acceptRows, claimRows, deadLetterClaimed, dropOvertaken, dueRowsOfUnit, getRow, getRows, recordInvalidRows, releaseRows, rescheduleRow, markEnqueued, toTrackingState, FINAL_STATES, type NewRow } from './outbox.js';
import { Sender, type RowOutcome } from './sender.js';
import { Coalescer, type ClaimedRow } from './coalesce.js';
import { createProducer, workerConnection, QUEUE_NAME, type DeliveryJobData, type Producer } from './queue.js';
import { startRelay, type Relay } from './relay.js';
import { startStoreQueue, type StoreQueue } from './store-queue.js';
import { usesRedis } from '../../config/config.js';
import { setBreakerMetric } from './metrics.js';
import { saveBreakerSnapshot, deleteBreakerSnapshot, BREAKER_HEARTBEAT_MS } from './status.js';
import { redisHealthFor } from '../redis/health.js';

export interface DeliveryOptions {
  /** Client identity for mTLS to the central database; default: `centralClientIdentity(ctx)` from the certs area. */
  identity?: CentralIdentity;
  /** A ready client (tests, or a shared one); default: built from config + identity. */
  central?: CentralClient;
  /** Run queue workers in this process (default true). A gateway started with several data-plane workers may run them in one process only. */
  worker?: boolean;
  /** Run the relay in this process (default true). Safe to run in several processes at once. */
  relay?: boolean;
  /** How long close() waits for in-flight sends before handing them back (default 10 s). */
  closeGraceMs?: number;
}

export interface DeliveryService extends Delivery {
  /** This process's breaker. */
  breaker(): BreakerSnapshot;
  /** Runs one relay pass now (tests, operators' replay); in the embedded mode one pass of the store queue. */
  relayNow(): Promise<number>;
  /** True while Redis is reachable for the producer (embedded mode: while the service runs). */
  queueReady(): boolean;
}

const QUEUED_MESSAGE = 'Đã tiếp nhận; hồ sơ đang chờ gửi tới CSDL quốc gia (DA_XEP_HANG)';

export async function createDelivery(ctx: AppContext, opts: DeliveryOptions = {}): Promise<DeliveryService> {
  const { config, store, log } = ctx;
  const d = config.delivery;
  const bootId = randomBytes(4).toString('hex');
  let claimSeq = 0;
  const newOwner = () => `${ctx.nodeName}/${bootId}/${++claimSeq}`;
  // A claim outlives the longest call (every call is aborted at the per-attempt timeout) with
  // room for the store writes; only a crashed holder's claim runs out, and then another process
  // takes the rows over after at most this long (a late resend is harmless: same key, same version).
  const leaseMs = d.requestTimeoutMs + 10_000;

  let central = opts.central;
  if (!central) {
    const identity = opts.identity ?? (config.centralUrl.startsWith('https:') ? await centralClientIdentity(ctx) : undefined);
    central = createCentralClient({ url: config.centralUrl, token: config.centralToken, identity, timeoutMs: d.requestTimeoutMs, connections: Math.max(4, d.concurrency * 2) });
  }
  const ownsCentral = !opts.central;
  if (!config.centralToken && !opts.central) {
    log.warn('delivery: chưa cấu hình mã truy cập CSDL quốc gia (centralToken / NDXP_CENTRAL_TOKEN); CSDL quốc gia sẽ từ chối với 401 (THIEU_MA_TRUY_CAP)');
  }

  let lastSnapshotWrite: Promise<void> = Promise.resolve();
  const breaker = new CircuitBreaker(ctx.nodeName, d.breakerFailureThreshold, d.breakerOpenMs, (snap) => {
    log.info('Bộ ngắt mạch tới CSDL quốc gia đổi trạng thái', { state: snap.state, failures: snap.consecutiveFailures });
    setBreakerMetric(snap.state);
    lastSnapshotWrite = lastSnapshotWrite.then(() => saveBreakerSnapshot(store, snap)).catch(() => undefined);
  });
  void saveBreakerSnapshot(store, breaker.snapshot()).catch(() => undefined);
  // A heartbeat, so `queue status` can tell a live node's breaker from one a dead process left behind.
  const heartbeat = setInterval(() => {
    lastSnapshotWrite = lastSnapshotWrite.then(() => saveBreakerSnapshot(store, breaker.snapshot())).catch(() => undefined);
  }, BREAKER_HEARTBEAT_MS);
  heartbeat.unref();
  const sender = new Sender(ctx, central, breaker);
  // Embedded mode (no REDIS_URL, one node): no BullMQ; the outbox itself is the queue (store-queue.ts).
  const producer: Producer | undefined = usesRedis(config) ? await createProducer(config, log, { health: redisHealthFor(ctx) }) : undefined;
  let storeQueue: StoreQueue | undefined;

  let closing = false;
  const inflight = new Set<Promise<unknown>>();
  const inflightClaims = new Map<string, string[]>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  };

  /** Schedules queue jobs for rows that must be retried; rows Redis does not take stay for the relay. */
  async function schedule(items: { trackingId: string; notBefore: number }[]): Promise<void> {
    if (items.length === 0) return;
    if (!producer) return storeQueue?.wake();
    const added = await producer.add(items);
    if (added.length) await markEnqueued(store.db, added);
  }

  /**
   * Gives claimed rows back to the queue without an attempt. A release that fails (a store
   * connection refused or cut: e.g. PostgreSQL out of connections) is retried for about 1.5 s,
   * then logged: the rows then stay `delivering` until their claim runs out and a relay takes them
   * back. It used to be swallowed, leaving a row `delivering` after close with nothing said.
   */
  async function releaseClaims(trackingIds: string[], owner: string, notBefore = 0): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await releaseRows(store.db, trackingIds, owner, notBefore);
        return true;
      } catch (err) {
        if (attempt >= 5) {
          log.error('Không trả lại được hồ sơ đang giữ; hồ sơ sẽ được gửi lại khi hết hạn giữ', { err: err as Error, owner, records: trackingIds.length });
          return false;
        }
        log.warn('Trả lại hồ sơ đang giữ thất bại; thử lại', { err: err as Error, attempt });
        await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      }
    }
  }

  // Concurrent synchronous sends of one lane go out together (coalesce.ts); queue jobs batch
  // their own due rows (attemptRow) and go straight to the sender.
  const coalescer = new Coalescer({
    send: (rows, owners, onOutcome) => sender.send(rows, owners, onOutcome),
    sendDirect: (rows, owner, onOutcome) => sender.send(rows, owner, onOutcome),
    admit: () => !breaker.blocking && breaker.tryAcquire(),
    retryAt: () => breaker.retryAt(),
    handBack: async (rows: ClaimedRow[], notBefore: number) => {
      const byOwner = new Map<string, string[]>();
      for (const { row, owner } of rows) byOwner.set(owner, [...(byOwner.get(owner) ?? []), row.tracking_id]);
      for (const [owner, ids] of byOwner) await releaseClaims(ids, owner, notBefore);
      await schedule(rows.map(({ row }) => ({ trackingId: row.tracking_id, notBefore })));
    },
    batchSize: d.batchSize,
    maxInFlight: d.concurrency,
    // The claim must outlive the call (aborted at the per-attempt timeout) and its recording.
    claimMarginMs: d.requestTimeoutMs + 2000,
  });

  /** Sends claimed rows in the background of a caller; returns the per-row outcomes as they come. */
  function sendClaimed(rows: OutboxRow[], owner: string, onOutcome: (o: RowOutcome) => void): Promise<void> {
    inflightClaims.set(owner, rows.map((r) => r.tracking_id));
    const work = (async () => {
      try {
        const outcomes = await coalescer.send(rows, owner, onOutcome);
        await schedule(outcomes.filter((o) => o.state === 'queued').map((o) => ({ trackingId: o.trackingId, notBefore: o.nextAttemptAt ?? 0 })));
      } catch (err) {
        // Store trouble while recording: give the rows back so the relay retries them.
        log.error('Gửi hồ sơ thất bại', { err: err as Error });
        await releaseClaims(rows.map((r) => r.tracking_id), owner);
      } finally {
        inflightClaims.delete(owner);
      }
    })();
    return track(work);
  }

  async function submit(rows: NewRow[], deadlineMs: number): Promise<DeliveryOutcome[]> {
    if (closing) throw new GatewayError('DANG_DUNG_DICH_VU', {}, 'delivery closing');
    const sendNow = !breaker.blocking && breaker.tryAcquire();
    const owner = newOwner();
    const accepted = await acceptRows(store, rows, sendNow ? { claim: { owner, until: Date.now() + leaseMs } } : { notBefore: breaker.blocking ? breaker.retryAt() : 0 });
    const outcomes = new Map<string, DeliveryOutcome>();
    for (const a of accepted) {
      if (a.staleBecause) outcomes.set(a.trackingId, { trackingId: a.trackingId, state: 'stale', message: a.staleBecause });
      else if (a.state === 'superseded' && !a.existing) {
        outcomes.set(a.trackingId, { trackingId: a.trackingId, state: 'stale', message: 'Một phiên bản mới hơn của hồ sơ này có trong cùng lần gửi; chỉ phiên bản mới nhất được gửi (PHIEN_BAN_MOI_HON)' });
      }
    }
    // The claimed rows as written in the transaction above: sent without reading them back.
    const claimedRows = accepted.flatMap((a) => (a.state === 'delivering' && !a.existing && a.claimed ? [a.claimed] : []));
    const waiting = accepted.filter((a) => a.state === 'pending' && !a.existing).map((a) => ({ trackingId: a.trackingId, notBefore: breaker.blocking ? breaker.retryAt() : 0 }));
    if (sendNow && claimedRows.length === 0) breaker.release();
    if (claimedRows.length > 0 && closing) {
      // close() began while these rows were being accepted: it no longer waits for new sends, so
      // they go back to the queue at once (any process picks them up) instead of out unwatched.
      breaker.release();
      await releaseClaims(claimedRows.map((r) => r.tracking_id), owner);
    } else if (claimedRows.length > 0) {
      const sending = sendClaimed(claimedRows, owner, (o) => {
        const c = o.classified;
        if (c.outcome === 'delivered') outcomes.set(o.trackingId, { trackingId: o.trackingId, state: 'delivered', central: c.answer, httpStatus: c.status });
        else if (c.outcome === 'stale' || c.outcome === 'rejected') outcomes.set(o.trackingId, { trackingId: o.trackingId, state: c.outcome, central: c.answer, httpStatus: c.status, message: `${c.message} (${c.code})` });
      });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([sending, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(timer);
    }
    if (waiting.length) await schedule(waiting);
    return accepted.map((a) => {
      const done = outcomes.get(a.trackingId);
      if (done) return done;
      if (a.existing) return existingOutcome(a.trackingId, a.state);
      return { trackingId: a.trackingId, state: 'queued', message: QUEUED_MESSAGE };
    });
  }

  function existingOutcome(trackingId: string, state: string): DeliveryOutcome {
    // A retried call with a tracking id already accepted: report what is known, never accept it twice.
    if (state === 'delivered' || state === 'stale' || state === 'rejected') return { trackingId, state };
    return { trackingId, state: 'queued', message: QUEUED_MESSAGE };
  }

  /**
   * One outbox row, every column written out. Not `{ ...common, ...more }`: on Node 20 an object
   * literal that spreads one object and adds properties gets a new hidden class each time, which
   * cost ~20 µs per row (≈ 1 µs on Node 24).
   */
  function newRowOf(trackingId: string, origin: Origin, kind: 'profile' | 'unit', subjectId: string | null, recordId: string | null, versionMs: number, version: string | null, idempotencyKey: string | null, body: string | null): NewRow {
    return {
      tracking_id: trackingId,
      unit_code: origin.unitCode,
      software_id: origin.softwareId ?? null,
      key_id: origin.keyId ?? null,
      front: origin.front ?? null,
      request_id: origin.requestId ?? null,
      kind,
      subject_id: subjectId,
      record_id: recordId,
      version_ms: versionMs,
      version,
      idempotency_key: idempotencyKey,
      body,
    };
  }

  /** The row of one versioned record (a person's profile by personal id, a unit by its code). */
  function recordRow(kind: 'profile' | 'unit', item: { trackingId: string; origin: Origin; recordId?: string }, subjectId: string, record: HoSo | DonVi): NewRow {
    const version = record.ngayCapNhat ?? null;
    return newRowOf(item.trackingId, item.origin, kind, subjectId, item.recordId ?? null, versionMillis(record.ngayCapNhat), version, recordIdempotencyKey(kind, subjectId, version ?? '', record), JSON.stringify(record));
  }

  const profileRow = (item: ProfileSubmission): NewRow => recordRow('profile', item, item.record.soDinhDanh, item.record);
  const unitRow = (item: UnitSubmission): NewRow => recordRow('unit', item, item.unit.maDinhDanh, item.unit);

  // ---- queue worker -------------------------------------------------------------------------
  let worker: Worker<DeliveryJobData> | undefined;

  // Loaded with the producer (queue.ts): only when Redis is in use.
  const bull = producer ? await import('bullmq') : undefined;

  async function delayJob(job: Job<DeliveryJobData>, token: string | undefined, at: number): Promise<never> {
    await job.moveToDelayed(at, token);
    throw new bull!.DelayedError();
  }

  /** A queue job (BullMQ) for one row: the attempt decides, the job only follows its timing. */
  async function processJob(job: Job<DeliveryJobData>, token?: string): Promise<string> {
    const result = await attemptRow(job.data.trackingId);
    if ('laterAt' in result) return delayJob(job, token, result.laterAt);
    return result.state;
  }

  /**
   * One queued attempt at a row, shared by the BullMQ worker and the embedded store queue:
   * claims it (with due rows of the same unit riding along), sends, records. Resolves the state
   * it reached, or when to look again (the row is not due, another sender holds it, the breaker
   * holds everything back).
   */
  async function attemptRow(trackingId: string): Promise<{ state: string } | { laterAt: number }> {
    const row = await getRow(store.db, trackingId);
    if (!row || FINAL_STATES.includes(row.state as never)) return { state: row?.state ?? 'missing' };
    const now = Date.now();
    if (row.state === 'delivering' && Number(row.lease_until) >= now) {
      // Another path or process is sending it right now; look again when its claim would end.
      return { laterAt: Number(row.lease_until) + 100 };
    }
    if (row.state !== 'delivering' && Number(row.next_attempt_at) > now + 50) return { laterAt: Number(row.next_attempt_at) };
    if (closing) return { laterAt: now + 1000 };
    if (breaker.blocking || !breaker.tryAcquire()) {
      const at = breaker.retryAt() + Math.floor(Math.random() * Math.min(d.breakerOpenMs, 5000));
      // Keep the row's due time in step with its job, so the relay does not see it as overdue
      // (and the store queue does not pick it up again before then).
      await rescheduleRow(store.db, trackingId, at);
      return { laterAt: at };
    }
    const owner = newOwner();
    const mine = await claimRows(store.db, [trackingId], owner, leaseMs);
    if (mine.length === 0) {
      breaker.release();
      const fresh = await getRow(store.db, trackingId);
      if (!fresh || FINAL_STATES.includes(fresh.state as never)) return { state: fresh?.state ?? 'missing' };
      return { laterAt: fresh.state === 'delivering' ? Number(fresh.lease_until) + 100 : Math.max(Number(fresh.next_attempt_at), Date.now() + 100) };
    }
    // Known to close() from the moment they are claimed, so a close that runs out of time hands
    // them back even while the ride-alongs are still being looked up.
    inflightClaims.set(owner, mine.map((r) => r.tracking_id));
    try {
      return await sendAttempt(trackingId, row, mine, owner, now);
    } finally {
      inflightClaims.delete(owner);
    }
  }

  /** The rest of attemptRow, with the job's own row claimed by `owner`. */
  async function sendAttempt(trackingId: string, row: OutboxRow, mine: OutboxRow[], owner: string, now: number): Promise<{ state: string } | { laterAt: number }> {
    // Ride-alongs: other due rows of the same unit go in the same batch call; their own jobs
    // find them finished (or rescheduled) and step aside.
    let rows = mine;
    if (row.kind === 'profile' && d.batchSize > 1) {
      const others = await dueRowsOfUnit(store.db, row.unit_code, trackingId, d.batchSize - 1);
      if (others.length) rows = rows.concat(await claimRows(store.db, others, owner, leaseMs));
      inflightClaims.set(owner, rows.map((r) => r.tracking_id));
    }
    const dropped = await dropOvertaken(store.db, rows, owner);
    rows = rows.filter((r) => !dropped.has(r.tracking_id));
    if (rows.length === 0) {
      breaker.release();
      return { state: 'superseded' };
    }
    // Rows past their age window are dead-lettered without another call.
    const maxAgeMs = d.maxAgeHours * 3_600_000;
    const expired = rows.filter((r) => now - Number(r.window_start) > maxAgeMs);
    for (const r of expired) {
      await deadLetterClaimed(store.db, r.tracking_id, owner, `Quá ${d.maxAgeHours} giờ chưa gửi được (QUA_THOI_HAN_GUI)`);
      ctx.audit.record({ kind: 'delivery', trackingIds: [r.tracking_id], unitCode: r.unit_code, outcome: 'dead', code: 'QUA_THOI_HAN_GUI' });
    }
    rows = rows.filter((r) => !expired.includes(r));
    if (rows.length === 0) {
      breaker.release();
      return { state: 'dead' };
    }
    inflightClaims.set(owner, rows.map((r) => r.tracking_id));
    const outcomes = await sender.send(rows, owner);
    // Ride-alongs that must be retried need their own (possibly new) job; the job's own row is rescheduled below.
    await schedule(outcomes.filter((o) => o.state === 'queued' && o.trackingId !== trackingId).map((o) => ({ trackingId: o.trackingId, notBefore: o.nextAttemptAt ?? 0 })));
    const own = outcomes.find((o) => o.trackingId === trackingId);
    if (own?.state === 'queued') return { laterAt: own.nextAttemptAt ?? Date.now() };
    return { state: own?.state ?? 'unknown' };
  }

  if (opts.worker !== false && producer && bull) {
    worker = new bull.Worker<DeliveryJobData>(QUEUE_NAME, (job, token) => track(processJob(job, token)), {
      connection: workerConnection(config),
      prefix: config.redisPrefix,
      concurrency: d.concurrency,
      // Locks are renewed while a job runs, so a short lock only matters when a process dies:
      // its active jobs return to the queue after about lockDuration + stalledInterval.
      lockDuration: 15_000,
      stalledInterval: 15_000,
      // A job whose worker died is put back, not failed: the outbox row still needs it.
      maxStalledCount: 1000,
    });
    worker.on('error', (err) => log.debug('Lỗi Redis ở tiến trình gửi', { err }));
    worker.on('failed', (job, err) => log.warn('Lần gửi thất bại, sẽ thử lại', { trackingId: job?.data.trackingId, err }));
  }

  const relay: Relay | undefined = opts.relay !== false && producer ? startRelay(ctx, producer, { intervalMs: d.relayIntervalMs }) : undefined;
  // The embedded queue plays both parts, worker and relay, so it runs where either was asked for.
  if (!producer && (opts.worker !== false || opts.relay !== false)) {
    storeQueue = startStoreQueue(ctx, { breaker, concurrency: d.concurrency, maxSleepMs: d.relayIntervalMs, attempt: (id) => track(attemptRow(id)) });
  }

  return {
    async submitProfiles(items, options = {}) {
      if (items.length === 0) return [];
      return submit(items.map(profileRow), options.deadlineMs ?? d.syncDeadlineMs);
    },

    async submitUnit(item, options = {}) {
      const [outcome] = await submit([unitRow(item)], options.deadlineMs ?? d.syncDeadlineMs);
      return outcome;
    },

    async recordInvalid(items) {
      if (items.length === 0) return;
      const rows: NewRow[] = items.map((i) => newRowOf(i.trackingId, i.origin, 'profile', i.soDinhDanh ?? null, i.recordId, 0, null, null, null));
      await recordInvalidRows(store, rows, items.map((i) => i.errors));
    },

    async track(trackingIds): Promise<(TrackingState | undefined)[]> {
      if (trackingIds.length === 0) return [];
      const found = new Map((await getRows(store.db, trackingIds)).map((r) => [r.tracking_id, r]));
      return trackingIds.map((id) => {
        const r = found.get(id);
        return r ? toTrackingState(r) : undefined;
      });
    },

    breaker: () => breaker.snapshot(),
    relayNow: () => (relay ? relay.runOnce() : storeQueue ? storeQueue.runOnce() : Promise.resolve(0)),
    // Embedded mode: the queue is the store, ready whenever this service is.
    queueReady: () => (producer ? producer.ready : !closing),

    async close() {
      if (closing) return;
      closing = true;
      relay?.stop();
      storeQueue?.stop();
      clearInterval(heartbeat);
      const grace = opts.closeGraceMs ?? 10_000;
      // Stop taking jobs and let the active ones finish (bounded); BullMQ hands back what is left.
      // With Redis known to hang, the worker's own close (lock releases, QUIT) can never be
      // answered: drop its connections now rather than after the whole grace period.
      if (worker && redisHealthFor(ctx).hung) void worker.disconnect().catch(() => undefined);
      const workerClosed = worker ? worker.close().catch(() => undefined) : Promise.resolve();
      // Work started while waiting (a job the worker had already taken) is waited for too.
      const settled = (async () => {
        await workerClosed;
        while (inflight.size > 0) await Promise.allSettled([...inflight]);
      })();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([settled.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), grace)))]);
      clearTimeout(timer);
      if (timedOut) {
        // Every claim still held, taken BEFORE anything else can run: rows waiting in a lane are
        // dropped from it next, and their callers' bookkeeping would forget their claims.
        const claims = [...inflightClaims];
        log.warn('Hết thời gian chờ khi dừng; trả lại các hồ sơ đang gửi', { inflight: inflight.size, claims: claims.reduce((n, [, ids]) => n + ids.length, 0) });
        coalescer.stop();
        // Calls still out: hand their rows back so any process picks them up at once (a late
        // answer is harmless: same Idempotency-Key, same version).
        for (const [owner, ids] of claims) await releaseClaims(ids, owner);
        if (worker) {
          // BullMQ's close is single-flight (close(true) returns the pending close), and against a
          // Redis that hangs its QUIT is never answered: drop the worker's connections, which
          // fails what it waits for, so the close finishes (both bounded anyway).
          await bounded(worker.disconnect(), 2000);
          await bounded(worker.close(true), 2000);
        }
      }
      await relay?.stopped();
      await storeQueue?.stopped();
      await lastSnapshotWrite;
      await deleteBreakerSnapshot(store, ctx.nodeName).catch(() => undefined);
      await producer?.close();
      if (ownsCentral) await central!.close();
      // Push this node's delivery attempts into the audit trail, without letting a slow trail
      // hold up shutdown (the trail's own close flushes what is left).
      let flushTimer: NodeJS.Timeout | undefined;
      await Promise.race([ctx.audit.flush().catch(() => undefined), new Promise((r) => (flushTimer = setTimeout(r, 2000)))]);
      clearTimeout(flushTimer);
    },
  };
}

/** Waits for p (errors ignored) at most ms. */
async function bounded(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
