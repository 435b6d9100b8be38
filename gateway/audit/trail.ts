/**
 * The audit trail writer: what `ctx.audit` is.
 *
 * `record()` never blocks and never throws: it snapshots the event (masking personal ids,
 * digesting and, per retention, encrypting bodies) into an in-memory buffer that is written in
 * batches every `audit.flushIntervalMs` or as soon as `maxBatch` events are waiting.
 * `recordDurable()` resolves only after the batch holding its event committed; batches form
 * naturally while a write is in progress (group commit), so many concurrent "accepted" answers
 * share one transaction.
 *
 * Each batch is one transaction under `withWriteLock(store, 'audit')`: read `audit_head`, chain
 * every entry to its predecessor (chain.ts), insert, move the head. The lock (SQLite BEGIN
 * IMMEDIATE, PostgreSQL advisory lock) makes appends from several processes form one chain.
 * A checkpoint (signed statement of seq + chain hash) is written every `checkpointEvery`
 * entries or `checkpointIntervalMs`, whichever comes first, and when a trail that wrote entries
 * closes.
 *
 * Failures: a failed batch is logged and retried with backoff; plain events stay buffered (the
 * buffer is bounded; what overflows is counted and recorded as an explicit gap marker once the
 * store is back), durable events are retried a few times and then rejected, so the caller does
 * not acknowledge something the trail could not keep.
 */
import { sql, type Kysely } from 'kysely';
import { ConfigError, type Config } from '../../config/config.js';
import type { Store } from '../../core/store/db.js';
import { withWriteLock } from '../../core/store/db.js';
import { FixedSqlByLength, placeholders } from '../../core/store/fixed-sql.js';
import { chunks } from '../../core/store/chunks.js';
import type { Logger } from '../../core/log.js';
import type { AuditEntryRow } from '../../core/store/tables/audit.js';
import type { AuditEvent, AuditSink } from '../../core/audit-sink.js';
import { listDigest } from '../../core/ids.js';
import { entryHash, sha256Hex, signCheckpoint, type AuditSigningIdentity, type CheckpointRecord } from './chain.js';
import { bodyAad, encryptBody, maskPersonalId, parseBodyKeys, personalIdDigester, type BodyKey, type PersonalIdDigester } from './protect.js';

export interface AuditTrailDeps {
  store: Store;
  config: Config;
  log: Logger;
  nodeName: string;
  /** A fixed identity for checkpoint signatures (tests, benchmarks). */
  signingIdentity?: () => Promise<AuditSigningIdentity>;
  /**
   * The deployment's audit identity, loaded (or created, which is itself audited through `sink`)
   * by the PKI: gateway/context.ts wires certs/material.ts here, so the trail never imports the
   * PKI. Consulted once the identity exists, or once the process has run for a checkpoint interval.
   */
  deploymentIdentity?: (sink: AuditSink) => Promise<AuditSigningIdentity>;
  /** Events per transaction (default 500). */
  maxBatch?: number;
  /** Events kept in memory while the store is unavailable (default 100,000). */
  maxBuffer?: number;
  /** Write attempts for a durable event before its promise rejects (default 3). */
  durableAttempts?: number;
}

export interface AuditTrailStats {
  buffered: number;
  written: number;
  failedWrites: number;
  dropped: number;
  checkpoints: number;
  lastError?: string;
}

export interface AuditTrail extends AuditSink {
  /** Writes a checkpoint now if entries exist beyond the last one; returns it (undefined if nothing to cover). */
  checkpoint(): Promise<CheckpointRecord | undefined>;
  stats(): AuditTrailStats;
}

export class AuditWriteError extends Error {
  readonly code = 'NHAT_KY_KHONG_GHI_DUOC';
  constructor(cause?: unknown) {
    super(`Không ghi được nhật ký kiểm toán (NHAT_KY_KHONG_GHI_DUOC)${cause instanceof Error ? `: ${cause.message}` : ''}`);
    this.name = 'AuditWriteError';
  }
}

type PreparedRow = Omit<AuditEntryRow, 'seq' | 'prev_hash' | 'hash'>;

/**
 * The columns of an entry in the order of the insert below. Entries are written as fixed SQL
 * (core/store/fixed-sql.ts): building a 200-row insert with Kysely cost more than running it.
 */
const ENTRY_COLUMNS = [
  'seq', 'at', 'node', 'kind', 'request_id', 'tracking_ids', 'cert_subject', 'cert_serial', 'key_id', 'software_id', 'unit_code', 'front', 'operation',
  'personal_ids_masked', 'personal_id_digests', 'outcome', 'code', 'latency_ms', 'request_bytes', 'response_bytes', 'request_sha256', 'response_sha256',
  'actor', 'target', 'details', 'remote_address', 'body_retention', 'request_body', 'response_body', 'prev_hash', 'hash',
] as const satisfies readonly (keyof AuditEntryRow)[];
// Every column of the row type is written: a column added to AuditEntryRow and not here fails to compile.
const EVERY_COLUMN: Exclude<keyof AuditEntryRow, (typeof ENTRY_COLUMNS)[number]> extends never ? true : never = true;
void EVERY_COLUMN;
const ENTRY_ROW = `(${placeholders(ENTRY_COLUMNS.length)})`;
const INSERT_ENTRIES = new FixedSqlByLength((n) => `insert into audit_entries (${ENTRY_COLUMNS.join(', ')}) values ${Array(n).fill(ENTRY_ROW).join(', ')}`);
const INSERT_REFS = new FixedSqlByLength((n) => `insert into audit_refs (seq, ref_type, ref) values ${Array(n).fill('(?, ?, ?)').join(', ')}`);

function entryParams(rows: AuditEntryRow[]): unknown[] {
  const out: unknown[] = [];
  for (const row of rows) for (const c of ENTRY_COLUMNS) out.push(row[c] ?? null);
  return out;
}


interface Pending {
  row: PreparedRow;
  refs: { ref_type: string; ref: string }[];
  resolve?: () => void;
  reject?: (err: Error) => void;
  attempts: number;
  /** Failures while written alone (poison detection). */
  isolatedFailures?: number;
}

// What one event may write is bounded whatever a caller sends: identifiers and names are short
// by nature, so longer values are clipped; long lists become a count and a digest.
const MAX_TEXT = 256;
/** Certificate subjects and admin actors / targets. */
const MAX_LONG_TEXT = 1024;
/** Details of data-plane events (exchange, refusal); admin actions may say more (import reports). */
const MAX_EXCHANGE_DETAILS = 2 * 1024;
const MAX_DETAILS = 16 * 1024;
/** A tracking id or personal id longer than this is not one (gateway tracking ids are 27 characters). */
const MAX_ID = 64;
/** Tracking ids kept per event, above the largest batch (maxRecordsPerCall); beyond, a count and digest. */
const MAX_TRACKING_IDS = 5000;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text as both stores keep it byte for byte: PostgreSQL refuses NUL in text, and both drivers
 * turn lone UTF-16 surrogates into U+FFFD on the way to UTF-8. Hashing the value the store will
 * hand back keeps hostile input (a NUL in a SOAP operation name) from breaking a batch or the chain.
 */
function clip(value: string | undefined | null, max = MAX_TEXT): string | null {
  if (value === undefined || value === null) return null;
  let s = String(value);
  if (s.length > max) s = s.slice(0, max);
  // Almost every value has neither: one scan instead of two replacements (one with a lookbehind).
  if (!NEEDS_REPLACING.test(s)) return s;
  return s.replace(LONE_SURROGATE, '\uFFFD').replace(/\u0000/g, '\uFFFD');
}

/** Any character clip() may replace: a NUL or a surrogate (lone ones are replaced, pairs kept). */
const NEEDS_REPLACING = /[\u0000\uD800-\uDFFF]/;

const NO_STRINGS: readonly string[] = Object.freeze([]);

/** Distinct values in first-seen order (what `[...new Set(list)]` gives), without a Set for the usual one or none. */
function distinct(list: readonly string[]): string[] {
  if (list.length < 2) return list.slice();
  return [...new Set(list)];
}

function toBuffer(body: Buffer | string | undefined): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  return Buffer.isBuffer(body) ? body : Buffer.from(String(body), 'utf8');
}

function intOrNull(n: number | undefined): number | null {
  return typeof n === 'number' && Number.isFinite(n) ? Math.round(n) : null;
}

export async function createAuditTrail(deps: AuditTrailDeps): Promise<AuditTrail> {
  const { store, config, log, nodeName } = deps;
  const auditLog = log.child({ area: 'audit' });
  const maxBatch = deps.maxBatch ?? 500;
  const maxBuffer = deps.maxBuffer ?? 100_000;
  const durableAttempts = deps.durableAttempts ?? 3;
  const flushIntervalMs = Math.max(1, config.audit.flushIntervalMs);
  // Bad keys stop the start with a configuration error, not a failure at the first request.
  let bodyKeys: BodyKey[];
  let digest: PersonalIdDigester;
  try {
    bodyKeys = parseBodyKeys(config.audit.encryptionKeys);
    digest = personalIdDigester(config);
  } catch (err) {
    throw new ConfigError(`Cấu hình nhật ký kiểm toán không hợp lệ (CAU_HINH_KHONG_HOP_LE): ${(err as Error).message}`);
  }

  const buffer: Pending[] = [];
  const stats: AuditTrailStats = { buffered: 0, written: 0, failedWrites: 0, dropped: 0, checkpoints: 0 };
  let droppedUnreported = 0;
  let consecutiveFailures = 0;
  let flushTimer: NodeJS.Timeout | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let draining: Promise<void> | undefined;
  let closed = false;
  let warnedNoBodyKey = false;
  /** Entries this trail appended that no checkpoint it knows of covers yet. */
  let uncheckpointed = 0;

  const startedAt = Date.now();
  let identity: AuditSigningIdentity | undefined;
  let identityLoading: Promise<AuditSigningIdentity | undefined> | undefined;
  let identityFailedAt = 0;

  const sink: AuditTrail = {
    record(event) {
      enqueue(event);
    },
    recordDurable(event) {
      return new Promise<void>((resolve, reject) => {
        if (!enqueue(event, resolve, reject)) return;
        // Durable events start a write at once; others arriving meanwhile join the next batch.
        kick();
      });
    },
    async flush() {
      clearFlushTimer();
      await drainAll();
    },
    async close() {
      if (closed) return;
      clearFlushTimer();
      if (retryTimer) clearTimeout(retryTimer);
      if (checkpointTimer) clearInterval(checkpointTimer);
      await drainAll();
      closed = true;
      // Sign what this process appended, but never CREATE the signing identity (a CA and a
      // 4096-bit key) just because a short CLI command or a test is closing: entries left
      // unsigned here are covered by the next checkpoint of a running gateway.
      if (uncheckpointed > 0 && (await identityReady())) await checkpointNow(true).catch(() => undefined);
      if (buffer.length) auditLog.error('audit entries could not be written before close', { count: buffer.length });
    },
    checkpoint: () => checkpointNow(true),
    stats: () => ({ ...stats, buffered: buffer.length }),
  };

  function enqueue(event: AuditEvent, resolve?: () => void, reject?: (err: Error) => void): boolean {
    let pending: Pending;
    try {
      const prepared = prepare(event);
      pending = { row: prepared.row, refs: prepared.refs, resolve, reject, attempts: 0 };
    } catch (err) {
      // A malformed event must not break the caller; a durable caller learns it was not kept.
      auditLog.error('audit event could not be prepared', { err: err as Error, kind: event?.kind, operation: event?.operation });
      reject?.(new AuditWriteError(err));
      return false;
    }
    if (closed) {
      auditLog.error('audit event after close', { kind: event.kind, operation: event.operation });
      reject?.(new AuditWriteError(new Error('trail closed')));
      return false;
    }
    buffer.push(pending);
    if (buffer.length > maxBuffer) dropOldest();
    if (buffer.length >= maxBatch) kick();
    else scheduleFlush();
    return true;
  }

  function prepare(e: AuditEvent): Pick<Pending, 'row' | 'refs'> {
    const at = typeof e.at === 'number' && Number.isFinite(e.at) ? Math.round(e.at) : Date.now();
    let retention: 'off' | 'metadata' | 'full' = e.bodyRetention ?? config.audit.bodies;
    if (retention === 'full' && bodyKeys.length === 0) {
      // Never keep a body in clear: without a key, full degrades to metadata (and says so once).
      if (!warnedNoBodyKey) auditLog.warn('audit.bodies=full but audit.encryptionKeys is empty: bodies are kept as digests only');
      warnedNoBodyKey = true;
      retention = 'metadata';
    }
    const req = toBuffer(e.requestBody);
    const res = toBuffer(e.responseBody);
    const reqSha = req && retention !== 'off' ? sha256Hex(req) : null;
    const resSha = res && retention !== 'off' ? sha256Hex(res) : null;
    // Most data-plane events carry one personal id or none and few tracking ids: the lists are
    // only filtered and de-duplicated when there is something in them.
    const ids = e.personalIds?.length ? e.personalIds.filter((s) => typeof s === 'string' && s.trim() !== '') : NO_STRINGS;
    const digests = ids.length ? ids.map(digest) : NO_STRINGS;
    const given = e.trackingIds?.length ? e.trackingIds.filter((s) => typeof s === 'string' && s !== '') : NO_STRINGS;
    const trackingIds = given.length ? distinct(given.filter((s) => s.length <= MAX_ID)).slice(0, MAX_TRACKING_IDS) : NO_STRINGS;
    const extra: Record<string, unknown> = {};
    if (given.length && trackingIds.length < new Set(given).size) extra.trackingIdsOmitted = listDigest(given);
    let details: string | null = null;
    const allDetails = extra.trackingIdsOmitted === undefined ? e.details : Object.assign({}, e.details, extra);
    if (allDetails && Object.keys(allDetails).length > 0) {
      const max = e.kind === 'admin' ? MAX_DETAILS : MAX_EXCHANGE_DETAILS;
      try {
        details = JSON.stringify(allDetails);
        if (details.length > max) details = JSON.stringify({ truncated: true, bytes: Buffer.byteLength(details), sha256: sha256Hex(details), preview: clip(details, 512) });
      } catch {
        details = JSON.stringify({ unserialisable: true });
      }
    }
    const row: PreparedRow = {
      at,
      node: nodeName,
      kind: e.kind,
      request_id: clip(e.requestId),
      tracking_ids: trackingIds.length ? JSON.stringify(trackingIds) : null,
      cert_subject: clip(e.certSubject, MAX_LONG_TEXT),
      cert_serial: clip(e.certSerial),
      key_id: clip(e.keyId),
      software_id: clip(e.softwareId),
      unit_code: clip(e.unitCode),
      front: clip(e.front),
      operation: clip(e.operation),
      personal_ids_masked: ids.length ? JSON.stringify(ids.map((id) => clip(maskPersonalId(id), MAX_ID))) : null,
      personal_id_digests: digests.length ? JSON.stringify(digests) : null,
      outcome: clip(e.outcome) ?? 'unknown',
      code: clip(e.code),
      latency_ms: intOrNull(e.latencyMs),
      request_bytes: intOrNull(e.requestBytes ?? req?.length),
      response_bytes: intOrNull(e.responseBytes ?? res?.length),
      request_sha256: reqSha,
      response_sha256: resSha,
      actor: clip(e.actor, MAX_LONG_TEXT),
      target: clip(e.target, MAX_LONG_TEXT),
      details,
      remote_address: clip(e.remoteAddress),
      body_retention: retention,
      request_body: retention === 'full' && req && reqSha ? encryptBody(bodyKeys[0], req, bodyAad('request', reqSha)) : null,
      response_body: retention === 'full' && res && resSha ? encryptBody(bodyKeys[0], res, bodyAad('response', resSha)) : null,
    };
    const refs: Pending['refs'] = [];
    for (const ref of distinct(digests)) refs.push({ ref_type: 'pid', ref });
    for (const ref of distinct(trackingIds)) refs.push({ ref_type: 'tid', ref });
    return { row, refs };
  }

  function dropOldest(): void {
    // Drop the oldest plain events first; durable callers are still waiting for an answer.
    const idx = buffer.findIndex((p) => !p.resolve);
    const [gone] = buffer.splice(idx >= 0 ? idx : 0, 1);
    gone?.reject?.(new AuditWriteError(new Error('buffer full')));
    stats.dropped++;
    droppedUnreported++;
  }

  function scheduleFlush(): void {
    if (flushTimer || retryTimer || closed) return;
    flushTimer = setTimeout(() => {
      flushTimer = undefined;
      kick();
    }, flushIntervalMs);
    flushTimer.unref();
  }

  function clearFlushTimer(): void {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
  }

  function kick(): void {
    if (retryTimer) return; // backing off after a failure; the retry will pick everything up
    clearFlushTimer();
    void drain();
  }

  /** One drain at a time; events added meanwhile are picked up by the same loop. */
  function drain(): Promise<void> {
    if (draining) return draining;
    const run = (async () => {
      while (buffer.length) {
        const ok = await writeNext();
        if (!ok) return;
      }
    })();
    // Cleared when THIS run ends. (Clearing inside the async function would run before the
    // assignment when the buffer is empty, leaving a settled promise in `draining` for good and
    // the trail silently never writing again.)
    draining = run;
    void run.finally(() => {
      if (draining === run) draining = undefined;
    });
    return run;
  }

  async function drainAll(): Promise<void> {
    // flush()/close(): keep trying through the retry schedule, but give up after a bounded time.
    const deadline = Date.now() + 15_000;
    while (buffer.length && Date.now() < deadline) {
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      await drain();
      if (buffer.length) await new Promise((r) => setTimeout(r, Math.min(200 * consecutiveFailures, 2000)));
    }
    if (draining) await draining;
  }

  async function storeAnswers(): Promise<boolean> {
    try {
      await sql`select 1`.execute(store.db);
      return true;
    } catch {
      return false;
    }
  }

  async function writeNext(): Promise<boolean> {
    // After repeated failures, write one event at a time: if the store answers but refuses one
    // particular event, that event must not hold up the whole trail forever.
    const isolate = consecutiveFailures >= 3;
    const batch = buffer.splice(0, isolate ? 1 : maxBatch);
    if (droppedUnreported > 0 && !isolate) {
      const n = droppedUnreported;
      droppedUnreported = 0;
      batch.unshift({
        ...prepare({ kind: 'admin', operation: 'audit.entries-lost', outcome: 'failed', code: 'NHAT_KY_MAT_BAN_GHI', details: { count: n } }),
        attempts: 0,
      });
    }
    try {
      await writeBatch(batch);
    } catch (err) {
      stats.failedWrites++;
      stats.lastError = (err as Error).message;
      consecutiveFailures++;
      auditLog.error('audit batch write failed; will retry', { err: err as Error, entries: batch.length, attempt: consecutiveFailures });
      if (isolate && batch.length === 1) {
        const p = batch[0];
        p.isolatedFailures = (p.isolatedFailures ?? 0) + 1;
        if (p.isolatedFailures >= 3 && (await storeAnswers())) {
          auditLog.error('audit event refused by the store; dropped and recorded as lost', { kind: p.row.kind, operation: p.row.operation, err: err as Error });
          p.reject?.(new AuditWriteError(err));
          stats.dropped++;
          droppedUnreported++;
          consecutiveFailures = 0;
          return true;
        }
      }
      const keep: Pending[] = [];
      for (const p of batch) {
        if (p.row.operation === 'audit.entries-lost' && p.row.code === 'NHAT_KY_MAT_BAN_GHI' && !p.resolve) {
          droppedUnreported += Number(JSON.parse(p.row.details ?? '{}').count ?? 0);
          continue;
        }
        p.attempts++;
        if (p.resolve && p.attempts >= durableAttempts) p.reject?.(new AuditWriteError(err));
        else keep.push(p);
      }
      buffer.unshift(...keep);
      while (buffer.length > maxBuffer) dropOldest();
      if (!closed && !retryTimer) {
        const delay = Math.min(50 * 2 ** Math.min(consecutiveFailures, 7), 5000);
        retryTimer = setTimeout(() => {
          retryTimer = undefined;
          kick();
        }, delay);
        retryTimer.unref();
      }
      return false;
    }
    consecutiveFailures = 0;
    stats.written += batch.length;
    for (const p of batch) p.resolve?.();
    return true;
  }

  async function writeBatch(batch: Pending[]): Promise<void> {
    const ident = identity; // only an identity already loaded: never wait for certs inside a write
    let checkpointWanted = false;
    await withWriteLock(store, 'audit', async (trx) => {
      const head = await trx.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      let seq = Number(head.last_seq);
      let prev = head.last_hash;
      const rows: AuditEntryRow[] = [];
      const refs: { seq: number; ref_type: string; ref: string }[] = [];
      for (const p of batch) {
        seq++;
        // The prepared row becomes the entry in place (a retried batch numbers it again): a copy
        // by spread costs several µs per entry on Node 20.
        const row = p.row as AuditEntryRow;
        row.seq = seq;
        row.prev_hash = prev;
        row.hash = entryHash(row as unknown as Record<string, unknown>, prev);
        prev = row.hash;
        rows.push(row);
        for (const r of p.refs) refs.push({ seq, ref_type: r.ref_type, ref: r.ref });
      }
      for (const part of chunks(rows, 200)) await INSERT_ENTRIES.of(part.length).run(trx, entryParams(part));
      for (const part of chunks(refs, 500)) await INSERT_REFS.of(part.length).run(trx, part.flatMap((r) => [r.seq, r.ref_type, r.ref]));
      const now = Date.now();
      const due =
        seq - Number(head.last_checkpoint_seq) >= config.audit.checkpointEvery ||
        (config.audit.checkpointIntervalMs > 0 && now - Number(head.last_checkpoint_at) >= config.audit.checkpointIntervalMs);
      let cp: CheckpointRecord | undefined;
      if (due && ident) {
        cp = signCheckpoint(ident, { seq, at: now, entry_count: seq, chain_hash: prev, node: nodeName });
        await trx.insertInto('audit_checkpoints').values(cp).execute();
      } else if (due) {
        checkpointWanted = true;
      }
      await trx
        .updateTable('audit_head')
        .set({
          last_seq: seq,
          last_hash: prev,
          updated_at: now,
          ...(cp ? { last_checkpoint_seq: seq, last_checkpoint_at: now } : {}),
        })
        .where('id', '=', 1)
        .execute();
      if (cp) {
        stats.checkpoints++;
        uncheckpointed = 0;
      } else {
        uncheckpointed += rows.length;
      }
    });
    if (checkpointWanted) {
      // Load the signing identity outside the write path, then checkpoint; later batches sign
      // inline. A process younger than one checkpoint interval (a CLI command, a test) only uses
      // an identity that exists; creating one is left to processes that keep running.
      void (async () => {
        if (!(await identityReady()) && Date.now() - startedAt < Math.max(config.audit.checkpointIntervalMs, 10_000)) return;
        if (await loadIdentity()) await checkpointNow(false);
      })().catch(() => undefined);
    }
  }

  async function identityReady(): Promise<boolean> {
    if (identity || deps.signingIdentity) return true;
    try {
      const row = await (store.db as unknown as Kysely<Record<string, { name: string }>>)
        .selectFrom('pki_identities')
        .select('name')
        .where('name', '=', 'audit')
        .executeTakeFirst();
      return Boolean(row);
    } catch {
      return false;
    }
  }

  async function loadIdentity(): Promise<AuditSigningIdentity | undefined> {
    if (identity) return identity;
    if (identityLoading) return identityLoading;
    if (Date.now() - identityFailedAt < 30_000) return undefined;
    const deploymentIdentity = deps.deploymentIdentity;
    const provider = deps.signingIdentity ?? (deploymentIdentity ? () => deploymentIdentity(sink) : undefined);
    if (!provider) return undefined;
    identityLoading = provider()
      .then((id) => {
        identity = id;
        return id;
      })
      .catch((err: Error) => {
        identityFailedAt = Date.now();
        auditLog.warn('audit signing identity unavailable; checkpoints are postponed', { err });
        return undefined;
      })
      .finally(() => {
        identityLoading = undefined;
      });
    return identityLoading;
  }

  async function checkpointNow(force: boolean): Promise<CheckpointRecord | undefined> {
    const ident = await loadIdentity();
    if (!ident) {
      if (force) throw new AuditWriteError(new Error('audit signing identity unavailable'));
      return undefined;
    }
    const cp = await withWriteLock(store, 'audit', async (trx) => {
      const head = await trx.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
      const seq = Number(head.last_seq);
      if (seq <= Number(head.last_checkpoint_seq)) return undefined;
      const now = Date.now();
      if (!force && seq - Number(head.last_checkpoint_seq) < config.audit.checkpointEvery && now - Number(head.last_checkpoint_at) < config.audit.checkpointIntervalMs) {
        return undefined;
      }
      const record = signCheckpoint(ident, { seq, at: now, entry_count: seq, chain_hash: head.last_hash, node: nodeName });
      await trx.insertInto('audit_checkpoints').values(record).execute();
      await trx.updateTable('audit_head').set({ last_checkpoint_seq: seq, last_checkpoint_at: now, updated_at: now }).where('id', '=', 1).execute();
      return record;
    });
    if (cp) stats.checkpoints++;
    uncheckpointed = 0;
    return cp;
  }

  // Time-based checkpoints for a node whose traffic stopped: only nodes that wrote entries sign.
  const checkpointTimer =
    config.audit.checkpointIntervalMs > 0
      ? setInterval(() => {
          if (uncheckpointed > 0 && !closed) {
            checkpointNow(false).catch((err) => auditLog.warn('audit checkpoint failed', { err: err as Error }));
          }
        }, config.audit.checkpointIntervalMs)
      : undefined;
  checkpointTimer?.unref();

  return sink;
}
