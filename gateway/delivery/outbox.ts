/**
 * The outbox table's operations, and the one place that knows its SQL: durable acceptance with
 * coalescing, send claims (leases) that make sure one process sends a row at a time, recording
 * what came of each attempt, operator actions (replay, discard) and status counts. Every
 * state change is a conditional UPDATE, so two gateway processes (and the synchronous path and
 * the queue worker of one process) never both act on one row.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../../core/store/schema.js';
import type { Store } from '../../core/store/db.js';
import type { Dialect } from '../../core/store/migration.js';
import type { OutboxRow } from '../../core/store/tables/delivery.js';
import type { TrackingState, TrackingStateName } from './types.js';
import type { FieldIssue } from '../../adapters/types.js';
import type { KetQua } from '../../adapters/national/profile.js';
import { chunks } from '../../core/store/chunks.js';
import { changedRows, FixedSql, FixedSqlByLength, placeholders } from '../../core/store/fixed-sql.js';

export type NewRow = Omit<OutboxRow, 'state' | 'attempts' | 'next_attempt_at' | 'last_error' | 'http_status' | 'central_answer' | 'errors' | 'enqueued' | 'lease_owner' | 'lease_until' | 'reason' | 'created_at' | 'window_start' | 'updated_at' | 'delivered_at'>;

/** States in which a row still waits for delivery. */
export const ACTIVE_STATES: TrackingStateName[] = ['pending', 'queued', 'delivering'];
/** States after which nothing more happens (unless an operator replays a dead row). */
export const FINAL_STATES: TrackingStateName[] = ['invalid', 'delivered', 'stale', 'rejected', 'dead', 'superseded', 'discarded'];
/** States in which the gateway delivered or still holds a version of a record (matching and reconciliation read these). */
export const HELD_STATES = ['delivered', 'pending', 'queued', 'delivering', 'dead'] as const satisfies readonly TrackingStateName[];

/** A column of the outbox, for the reads that want only some of them (bodies are large). */
export type OutboxColumn = keyof OutboxRow & string;

/**
 * A new row as first written: nothing attempted, no claim, its age window starting now (`fields`
 * override: a state decided at acceptance, seeders' later states). Every column written out rather
 * than spread from `r`: on Node 20 (V8 11) an object literal that spreads another and adds
 * properties gets a map of its own every time (measured: ≈ 200 µs for this one, 1–2 µs on Node 24),
 * and every reader of such rows then meets a new shape.
 */
export function newRow(r: NewRow, now: number, fields?: Partial<OutboxRow>): OutboxRow {
  const row: OutboxRow = {
    tracking_id: r.tracking_id,
    kind: r.kind,
    subject_id: r.subject_id,
    record_id: r.record_id,
    version_ms: r.version_ms,
    version: r.version,
    idempotency_key: r.idempotency_key,
    body: r.body,
    unit_code: r.unit_code,
    software_id: r.software_id,
    key_id: r.key_id,
    front: r.front,
    request_id: r.request_id,
    state: 'pending',
    attempts: 0,
    next_attempt_at: 0,
    last_error: null,
    http_status: null,
    central_answer: null,
    errors: null,
    enqueued: 0,
    lease_owner: null,
    lease_until: 0,
    reason: null,
    created_at: now,
    window_start: now,
    updated_at: now,
    delivered_at: null,
  };
  return fields ? Object.assign(row, fields) : row;
}

// ---- fixed statements of the per-record paths ------------------------------------------------
// Acceptance, claims, outcomes and releases run for every record: their SQL is fixed text
// (core/store/fixed-sql.ts), not built with Kysely per call. Same statements as the builder
// wrote, same conditions; parameters in the order their `?` appear.

/** Every outbox column, in the order the fixed INSERT lists them. */
const OUTBOX_COLUMNS = [
  'tracking_id', 'kind', 'subject_id', 'record_id', 'version_ms', 'version', 'idempotency_key', 'body', 'unit_code', 'software_id', 'key_id', 'front', 'request_id',
  'state', 'attempts', 'next_attempt_at', 'last_error', 'http_status', 'central_answer', 'errors', 'enqueued', 'lease_owner', 'lease_until', 'reason',
  'created_at', 'window_start', 'updated_at', 'delivered_at',
] as const satisfies readonly (keyof OutboxRow)[];
/** Columns whose DDL default is 0 (the others default to NULL): what a value left undefined gets, as the builder left it to DEFAULT. */
const ZERO_DEFAULT = new Set<string>(['version_ms', 'attempts', 'next_attempt_at', 'enqueued', 'lease_until']);

const insertText = (n: number): string => `insert into outbox (${OUTBOX_COLUMNS.join(', ')}) values ${Array.from({ length: n }, () => `(${placeholders(OUTBOX_COLUMNS.length)})`).join(', ')}`;
const INSERT_ROWS = new FixedSqlByLength(insertText);
const INSERT_ROWS_IF_NEW = new FixedSqlByLength((n) => `${insertText(n)} on conflict (tracking_id) do nothing`);

/** The INSERT's parameters for `rows`, row after row. */
function insertParams(rows: readonly OutboxRow[]): unknown[] {
  const params: unknown[] = new Array(rows.length * OUTBOX_COLUMNS.length);
  let p = 0;
  for (const r of rows) {
    for (const c of OUTBOX_COLUMNS) params[p++] = r[c] ?? (r[c] === undefined && ZERO_DEFAULT.has(c) ? 0 : null);
  }
  return params;
}

const KNOWN_IDS = new FixedSqlByLength((n) => `select tracking_id, state from outbox where tracking_id in (${placeholders(n)})`);
const NEWEST_VERSIONS = new FixedSqlByLength(
  (n) => `select subject_id, max(version_ms) as v from outbox where kind = ? and subject_id in (${placeholders(n)}) and state in ('pending', 'queued', 'delivering', 'delivered') group by subject_id`,
);
const SUPERSEDED_NOTE = 'Đã có phiên bản mới hơn của hồ sơ này; chỉ phiên bản mới nhất được gửi';
const SUPERSEDE_WAITING = new FixedSql(
  `update outbox set state = 'superseded', reason = 'PHIEN_BAN_MOI_HON', last_error = ?, updated_at = ? where kind = ? and subject_id = ? and version_ms <= ? and state in ('pending', 'queued')`,
);

/**
 * Waiting (and, unless ignored, due) or with an expired claim. Statements that name their rows
 * by a list of tracking ids test state and due time as expressions (`state || ''`,
 * `next_attempt_at + 0`) so that no index serves those terms: otherwise SQLite may read the
 * rows through the state indexes instead of looking the ids up (seen: a 499-id claim took
 * 640 ms with ≈ 80,000 rows waiting after an outage, ≈ 1 ms by primary key). Same meaning on
 * PostgreSQL.
 */
const CLAIMABLE = `((state || '') in ('pending', 'queued') or ((state || '') = 'delivering' and lease_until < ?))`;
const CLAIM_DUE = new FixedSqlByLength((n) => `update outbox set state = 'delivering', lease_owner = ?, lease_until = ?, updated_at = ? where tracking_id in (${placeholders(n)}) and ${CLAIMABLE} and next_attempt_at + 0 <= ? returning *`);
const CLAIM_ANY = new FixedSqlByLength((n) => `update outbox set state = 'delivering', lease_owner = ?, lease_until = ?, updated_at = ? where tracking_id in (${placeholders(n)}) and ${CLAIMABLE} returning *`);
const ROW_BY_ID = new FixedSql('select * from outbox where tracking_id = ?');

/** Under the claim: `owner` still holds it and the row is still in flight. */
const HELD_BY = `tracking_id = ? and lease_owner = ? and state = 'delivering'`;
const FINISH_RETRY = new FixedSql(
  `update outbox set state = ?, next_attempt_at = ?, last_error = ?, http_status = ?, reason = ?, attempts = attempts + 1, lease_owner = null, lease_until = 0, updated_at = ? where ${HELD_BY}`,
);
const FINISH_FINAL = new FixedSql(
  `update outbox set state = ?, http_status = ?, central_answer = ?, last_error = ?, delivered_at = ?, attempts = attempts + 1, lease_owner = null, lease_until = 0, updated_at = ? where ${HELD_BY}`,
);
const RELEASE = new FixedSqlByLength(
  (n) => `update outbox set state = 'queued', lease_owner = null, lease_until = 0, enqueued = 0, next_attempt_at = ?, updated_at = ? where tracking_id in (${placeholders(n)}) and lease_owner = ? and (state || '') = 'delivering'`,
);

// The queue's path (a job's attempt at a row, with ride-alongs of the same unit).
const RESCHEDULE = new FixedSql(`update outbox set next_attempt_at = ? where tracking_id = ? and state in ('pending', 'queued')`);
const DEAD_LETTER_CLAIMED = new FixedSql(`update outbox set state = 'dead', reason = ?, lease_owner = null, lease_until = 0, updated_at = ? where tracking_id = ? and lease_owner = ?`);
const DUE_OF_UNIT = new FixedSql(
  `select tracking_id from outbox where unit_code = ? and kind = 'profile' and state in ('pending', 'queued') and next_attempt_at <= ? and tracking_id != ? order by created_at limit ?`,
);
/** Both kinds always bound (the same one twice when only one is asked): one text per list length. */
const VERSIONS_OF = new FixedSqlByLength(
  (n) => `select kind, subject_id, version_ms, state from outbox where kind in (?, ?) and subject_id in (${placeholders(n)}) and state in ('pending', 'queued', 'delivering', 'delivered')`,
);
const DUE_IN_STATE = new FixedSql(`select tracking_id, next_attempt_at, created_at from outbox where state = ? and next_attempt_at <= ? order by next_attempt_at, created_at limit ?`);
const DROP_CLAIMED = new FixedSql(`update outbox set state = ?, reason = ?, last_error = ?, lease_owner = null, lease_until = 0, updated_at = ? where tracking_id = ? and lease_owner = ?`);
const MARK_ENQUEUED = new FixedSqlByLength((n) => `update outbox set enqueued = 1, updated_at = ? where tracking_id in (${placeholders(n)})`);
const QUEUED_IF_PENDING = new FixedSqlByLength((n) => `update outbox set state = 'queued' where tracking_id in (${placeholders(n)}) and (state || '') = 'pending'`);

export interface AcceptedRow {
  trackingId: string;
  /** 'delivering' when claimed for an immediate send by `claimId`; otherwise the state written. */
  state: TrackingStateName;
  /** Set when the row was refused as stale at acceptance (a newer version is already accepted or stored). */
  staleBecause?: string;
  /** The tracking id was already known (a retried call): the existing row is left untouched. */
  existing?: boolean;
  /** The row as written, when it was claimed for an immediate send (no need to read it back). */
  claimed?: OutboxRow;
}

/**
 * Writes the rows in ONE transaction (durable before acknowledged) and coalesces per subject:
 * waiting older-or-equal versions become `superseded`; a row older than a version already
 * waiting, in flight or delivered becomes `stale` without being sent. Rows are claimed for an
 * immediate send when `claim` is given, else left `pending` for the queue.
 */
export async function acceptRows(
  store: Store,
  rows: NewRow[],
  options: { claim?: { owner: string; until: number }; notBefore?: number },
): Promise<AcceptedRow[]> {
  const now = Date.now();
  // Oldest first, so within one call the newest version of a person wins.
  const ordered = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.version_ms - b.r.version_ms || a.i - b.i);
  const result: AcceptedRow[] = new Array(rows.length);
  await store.db.transaction().execute(async (trx) => {
    // Tracking ids already known (the caller retried): keep them as they are.
    const known = new Map<string, string>();
    for (const part of chunks(rows.map((r) => r.tracking_id))) {
      for (const k of (await KNOWN_IDS.of(part.length).run<Pick<OutboxRow, 'tracking_id' | 'state'>>(trx, part)).rows) known.set(k.tracking_id, k.state);
    }
    // Newest version per subject among rows that are waiting, in flight or delivered.
    const newest = new Map<string, number>();
    for (const kind of ['profile', 'unit'] as const) {
      const subjects = [...new Set(rows.filter((r) => r.kind === kind && r.subject_id && r.version_ms > 0).map((r) => r.subject_id!))];
      for (const part of chunks(subjects)) {
        const found = await NEWEST_VERSIONS.of(part.length).run<{ subject_id: string; v: number | string }>(trx, [kind, ...part]);
        for (const f of found.rows) newest.set(`${kind}\u0000${f.subject_id}`, Number(f.v));
      }
    }
    // Subjects with rows already stored: only those can have older waiting versions to supersede.
    const stored = new Set(newest.keys());
    // Within this call, an older version followed by a newer one of the same subject is never sent.
    const lastInCall = new Map<string, number>();
    ordered.forEach(({ r }, pos) => {
      if (r.subject_id && r.version_ms > 0) lastInCall.set(`${r.kind}\u0000${r.subject_id}`, pos);
    });
    const inserts: OutboxRow[] = [];
    const supersede: { kind: string; subject: string; upTo: number }[] = [];
    for (const [pos, { r, i }] of ordered.entries()) {
      if (known.has(r.tracking_id)) {
        result[i] = { trackingId: r.tracking_id, state: known.get(r.tracking_id) as TrackingStateName, existing: true };
        continue;
      }
      const subjectKey = `${r.kind}\u0000${r.subject_id}`;
      const versioned = Boolean(r.subject_id) && r.version_ms > 0;
      const newer = versioned ? newest.get(subjectKey) : undefined;
      const notBefore = options.notBefore ?? 0;
      if (newer !== undefined && newer > r.version_ms) {
        const reason = `Đã có phiên bản mới hơn (${new Date(newer).toISOString()}) được tiếp nhận hoặc đã lưu; phiên bản này không được gửi (PHIEN_BAN_CU)`;
        inserts.push(newRow(r, now, { next_attempt_at: notBefore, state: 'stale', last_error: reason, reason: 'PHIEN_BAN_CU' }));
        result[i] = { trackingId: r.tracking_id, state: 'stale', staleBecause: reason };
        continue;
      }
      if (versioned && lastInCall.get(subjectKey) !== pos) {
        // A newer version of the same subject follows in this very call.
        inserts.push(newRow(r, now, { next_attempt_at: notBefore, state: 'superseded', reason: 'PHIEN_BAN_MOI_HON', last_error: SUPERSEDED_NOTE }));
        result[i] = { trackingId: r.tracking_id, state: 'superseded' };
        continue;
      }
      if (versioned) {
        if (stored.has(subjectKey)) supersede.push({ kind: r.kind, subject: r.subject_id!, upTo: r.version_ms });
        newest.set(subjectKey, r.version_ms);
      }
      const row = newRow(r, now, options.claim ? { next_attempt_at: notBefore, state: 'delivering', lease_owner: options.claim.owner, lease_until: options.claim.until } : { next_attempt_at: notBefore });
      inserts.push(row);
      result[i] = options.claim ? { trackingId: r.tracking_id, state: 'delivering', claimed: row } : { trackingId: r.tracking_id, state: 'pending' };
    }
    // Older (or equal) versions still waiting are replaced by this one: only the newest is sent.
    // Rows in flight are left alone; the central database's version check orders them.
    for (const s of supersede) await SUPERSEDE_WAITING.run(trx, [SUPERSEDED_NOTE, now, s.kind, s.subject, s.upTo]);
    for (const part of chunks(inserts, 100)) await INSERT_ROWS.of(part.length).run(trx, insertParams(part));
  });
  return result;
}

export async function recordInvalidRows(store: Store, rows: NewRow[], errors: FieldIssue[][]): Promise<void> {
  const now = Date.now();
  const values = rows.map((r, i) =>
    newRow(r, now, {
      state: 'invalid',
      last_error: errors[i].map((e) => `${e.field}: ${e.message} (${e.code})`).join('; ').slice(0, 4000),
      errors: JSON.stringify(errors[i]),
    }),
  );
  await store.db.transaction().execute(async (trx) => {
    for (const part of chunks(values, 100)) await INSERT_ROWS_IF_NEW.of(part.length).run(trx, insertParams(part));
  });
}

/**
 * Claims rows for sending: only rows waiting (and due, unless `ignoreDue`) or whose previous
 * claim expired (its holder died). Returns the rows actually claimed.
 */
export async function claimRows(db: Kysely<DB>, trackingIds: string[], owner: string, leaseMs: number, options: { ignoreDue?: boolean } = {}): Promise<OutboxRow[]> {
  if (trackingIds.length === 0) return [];
  const now = Date.now();
  const claimed: OutboxRow[] = [];
  for (const part of chunks(trackingIds)) {
    const params = [owner, now + leaseMs, now, ...part, now];
    const found = options.ignoreDue ? await CLAIM_ANY.of(part.length).run<OutboxRow>(db, params) : await CLAIM_DUE.of(part.length).run<OutboxRow>(db, [...params, now]);
    claimed.push(...found.rows);
  }
  return claimed;
}

export async function getRow(db: Kysely<DB>, trackingId: string): Promise<OutboxRow | undefined> {
  return (await ROW_BY_ID.run<OutboxRow>(db, [trackingId])).rows[0];
}

/** The rows of these tracking ids that exist, in no particular order: every column, or only `columns`. */
export async function getRows(db: Kysely<DB>, trackingIds: string[]): Promise<OutboxRow[]>;
export async function getRows<C extends OutboxColumn>(db: Kysely<DB>, trackingIds: string[], columns: readonly C[]): Promise<Pick<OutboxRow, C>[]>;
export async function getRows(db: Kysely<DB>, trackingIds: string[], columns?: readonly OutboxColumn[]): Promise<Partial<OutboxRow>[]> {
  const found: Partial<OutboxRow>[] = [];
  for (const part of chunks(trackingIds)) {
    const q = db.selectFrom('outbox').where('tracking_id', 'in', part);
    found.push(...(await (columns ? q.select(columns) : q.selectAll()).execute()));
  }
  return found;
}

/** Which profile rows to read: those of these people (subject ids), or those whose record names one of these units. */
export type ProfileRowsOf = { people: string[] } | { units: string[]; dialect: Dialect };

/** The unit a profile row's record names (`donVi.maDinhDanh` inside its signed body), in the store's own JSON operator. */
function unitOfBody(dialect: Dialect): RawBuilder<string> {
  return dialect === 'postgres' ? sql<string>`(body::jsonb #>> '{donVi,maDinhDanh}')` : sql<string>`json_extract(body, '$.donVi.maDinhDanh')`;
}

/** Profile rows in `states` (`columns` only) of the people or of the units given. */
export async function profileRows<C extends OutboxColumn>(db: Kysely<DB>, of: ProfileRowsOf, states: readonly TrackingStateName[], columns: readonly C[]): Promise<Pick<OutboxRow, C>[]> {
  const [ids, match] = 'people' in of ? [of.people, sql.ref<string>('subject_id')] : [of.units, unitOfBody(of.dialect)];
  const found: Pick<OutboxRow, C>[] = [];
  for (const part of chunks(ids)) {
    found.push(...(await db.selectFrom('outbox').select(columns as readonly OutboxColumn[]).where('kind', '=', 'profile').where('state', 'in', states).where(match, 'in', part).execute()));
  }
  return found;
}

/**
 * Every earlier profile row one front sent for these people of one unit, newest first: what a
 * re-submission compares against (the Excel front keeps each row's digest in its record id).
 */
export async function earlierProfileRows(db: Kysely<DB>, front: string, unitCode: string, people: string[]): Promise<Pick<OutboxRow, 'subject_id' | 'record_id' | 'tracking_id' | 'state' | 'created_at'>[]> {
  const found: Pick<OutboxRow, 'subject_id' | 'record_id' | 'tracking_id' | 'state' | 'created_at'>[] = [];
  for (const part of chunks(people)) {
    found.push(
      ...(await db
        .selectFrom('outbox')
        .select(['subject_id', 'record_id', 'tracking_id', 'state', 'created_at'])
        .where('front', '=', front)
        .where('kind', '=', 'profile')
        .where('unit_code', '=', unitCode)
        .where('subject_id', 'in', part)
        .execute()),
    );
  }
  return found.sort((a, b) => Number(b.created_at) - Number(a.created_at));
}

/** A profile row's version without its body, plus the unit its record names. */
export type ProfileVersion = Pick<OutboxRow, 'tracking_id' | 'subject_id' | 'version_ms' | 'version' | 'state'> & { unit: string | null };

/**
 * The versions (rows with a body) in `states` of the people or of the units given, each with the
 * unit its record names read by the store's JSON operator: the bodies stay in the store, so a
 * caller going through a large history holds a few small columns per version, not the records.
 */
export async function profileVersions(store: Pick<Store, 'db' | 'dialect'>, of: { people: string[] } | { units: string[] }, states: readonly TrackingStateName[]): Promise<ProfileVersion[]> {
  const unit = unitOfBody(store.dialect);
  const [ids, match] = 'people' in of ? [of.people, sql.ref<string>('subject_id')] : [of.units, unit];
  const found: ProfileVersion[] = [];
  for (const part of chunks(ids)) {
    const rows = await store.db
      .selectFrom('outbox')
      .select(['tracking_id', 'subject_id', 'version_ms', 'version', 'state', unit.as('unit')])
      .where('kind', '=', 'profile')
      .where('state', 'in', states)
      .where('body', 'is not', null)
      .where(match, 'in', part)
      .execute();
    for (const r of rows) found.push(r);
  }
  return found;
}

/** The distinct units named by the records of profile rows in `states` (e.g. old codes still held). */
export async function profileUnits(store: Pick<Store, 'db' | 'dialect'>, states: readonly TrackingStateName[]): Promise<string[]> {
  const unit = unitOfBody(store.dialect);
  const rows = await store.db.selectFrom('outbox').select(unit.as('unit')).distinct().where('kind', '=', 'profile').where('state', 'in', states).execute();
  return rows.map((r) => r.unit).filter((u): u is string => typeof u === 'string' && u !== '');
}

/** Rows in `states` (`columns` only), e.g. every refused or dead-lettered record. */
export async function rowsInStates<C extends OutboxColumn>(db: Kysely<DB>, states: readonly TrackingStateName[], columns: readonly C[]): Promise<Pick<OutboxRow, C>[]> {
  return db.selectFrom('outbox').select(columns as readonly OutboxColumn[]).where('state', 'in', states).execute();
}

/** The sending units that have at least one delivered profile. */
export async function unitsWithDeliveredProfiles(db: Kysely<DB>): Promise<string[]> {
  const rows = await db.selectFrom('outbox').select('unit_code').distinct().where('kind', '=', 'profile').where('state', '=', 'delivered').execute();
  return rows.map((r) => r.unit_code);
}

/** Moves a waiting row's due time (its queue job was delayed), so the relay does not see it as overdue. */
export async function rescheduleRow(db: Kysely<DB>, trackingId: string, at: number): Promise<void> {
  await RESCHEDULE.run(db, [at, trackingId]);
}

/** Dead-letters a row `owner` holds the claim of, without another attempt (e.g. past its age window). */
export async function deadLetterClaimed(db: Kysely<DB>, trackingId: string, owner: string, reason: string): Promise<void> {
  await DEAD_LETTER_CLAIMED.run(db, [reason, Date.now(), trackingId, owner]);
}

/** Tracking ids of dead rows: all, one unit's, or the one given. */
export async function deadTrackingIds(db: Kysely<DB>, filter: { trackingId?: string; unit?: string } = {}): Promise<string[]> {
  let q = db.selectFrom('outbox').select(['tracking_id']).where('state', '=', 'dead');
  if (filter.trackingId) q = q.where('tracking_id', '=', filter.trackingId);
  if (filter.unit) q = q.where('unit_code', '=', filter.unit);
  return (await q.execute()).map((r) => r.tracking_id);
}

/** Dead rows, most recently dead first. */
export async function deadRows(db: Kysely<DB>, options: { limit: number; unit?: string }): Promise<OutboxRow[]> {
  let q = db.selectFrom('outbox').selectAll().where('state', '=', 'dead');
  if (options.unit) q = q.where('unit_code', '=', options.unit);
  return q.orderBy('updated_at', 'desc').limit(options.limit).execute();
}

/**
 * Puts rows back in the queue with a fresh attempt count and age window; returns those that were
 * still in a `from` state. Operators replay dead rows; reconciliation also resends delivered ones
 * the centre lost, with a note why (`lastError`).
 */
export async function replayRows(db: Kysely<DB>, trackingIds: string[], options: { from?: readonly TrackingStateName[]; lastError?: string; newIdempotencyKey?: boolean } = {}): Promise<string[]> {
  const now = Date.now();
  const note = options.lastError === undefined ? {} : { last_error: options.lastError };
  // A row the centre acknowledged and then lost is a new write to it: under its old key the centre
  // could answer the first answer again (Idempotent-Replay) and still not hold the record.
  // Retries of a write that never got an answer keep their key.
  if (options.newIdempotencyKey) Object.assign(note, { idempotency_key: sql<string>`idempotency_key || ${`.r${now.toString(36)}`}` });
  const replayed: string[] = [];
  for (const part of chunks(trackingIds)) {
    const rows = await db
      .updateTable('outbox')
      .set({ state: 'queued', attempts: 0, next_attempt_at: 0, enqueued: 0, window_start: now, reason: null, ...note, lease_owner: null, lease_until: 0, updated_at: now })
      .where('tracking_id', 'in', part)
      .where('state', 'in', options.from ?? ['dead'])
      .returning('tracking_id')
      .execute();
    replayed.push(...rows.map((r) => r.tracking_id));
  }
  return replayed;
}

/** Rows that may still be discarded: not in flight and not final (except dead). */
export const DISCARDABLE_STATES: TrackingStateName[] = ['dead', 'pending', 'queued'];

/** Discards one row for a stated reason, unless it was claimed for sending meanwhile; true if it was discarded. */
export async function discardRow(db: Kysely<DB>, trackingId: string, reason: string): Promise<boolean> {
  const updated = await db
    .updateTable('outbox')
    .set({ state: 'discarded', reason, lease_owner: null, lease_until: 0, updated_at: Date.now() })
    .where('tracking_id', '=', trackingId)
    .where('state', 'in', DISCARDABLE_STATES)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** Rows per state. */
export async function countByState(db: Kysely<DB>): Promise<Record<string, number>> {
  const counts = await db.selectFrom('outbox').select(['state']).select((eb) => eb.fn.countAll<number>().as('n')).groupBy('state').execute();
  return Object.fromEntries(counts.map((c) => [c.state, Number(c.n)]));
}

/** The oldest row still waiting for delivery (pending, queued or in flight). */
export async function oldestWaiting(db: Kysely<DB>): Promise<Pick<OutboxRow, 'tracking_id' | 'created_at'> | undefined> {
  return db.selectFrom('outbox').select(['tracking_id', 'created_at']).where('state', 'in', ACTIVE_STATES).orderBy('created_at').limit(1).executeTakeFirst();
}

/** How many rows were delivered since `since` (epoch ms). */
export async function deliveredSince(db: Kysely<DB>, since: number): Promise<number> {
  const r = await db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('delivered_at', '>=', since).executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Other rows of one sending unit that are due now, oldest first: candidates to ride along in a batch call. */
export async function dueRowsOfUnit(db: Kysely<DB>, unitCode: string, excluding: string, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const found = await DUE_OF_UNIT.run<{ tracking_id: string }>(db, [unitCode, Date.now(), excluding, limit]);
  return found.rows.map((r) => r.tracking_id);
}

/**
 * Among claimed rows, finds those a newer version has overtaken (waiting, in flight or already
 * delivered) and finishes them without sending: superseded, or stale if the newer one is stored.
 */
export async function dropOvertaken(db: Kysely<DB>, rows: OutboxRow[], owner: string): Promise<Set<string>> {
  const dropped = new Set<string>();
  const withVersion = rows.filter((r) => r.subject_id && r.version_ms > 0);
  if (withVersion.length === 0) return dropped;
  const newest = new Map<string, { v: number; delivered: number }>();
  for (const part of chunks([...new Set(withVersion.map((r) => `${r.kind}\u0000${r.subject_id}`))])) {
    const kinds = [...new Set(part.map((p) => p.split('\u0000')[0]))] as ('profile' | 'unit')[];
    const subjects = part.map((p) => p.split('\u0000')[1]);
    const found = await VERSIONS_OF.of(subjects.length).run<Pick<OutboxRow, 'kind' | 'subject_id' | 'version_ms' | 'state'>>(db, [kinds[0], kinds[kinds.length - 1], ...subjects]);
    for (const f of found.rows) {
      const key = `${f.kind}\u0000${f.subject_id}`;
      const cur = newest.get(key) ?? { v: 0, delivered: 0 };
      cur.v = Math.max(cur.v, Number(f.version_ms));
      if (f.state === 'delivered') cur.delivered = Math.max(cur.delivered, Number(f.version_ms));
      newest.set(key, cur);
    }
  }
  const now = Date.now();
  for (const r of withVersion) {
    const n = newest.get(`${r.kind}\u0000${r.subject_id}`);
    if (!n || n.v <= r.version_ms) continue;
    const stale = n.delivered > r.version_ms;
    const [state, reason, note] = stale
      ? ['stale', 'PHIEN_BAN_CU', 'Phiên bản mới hơn đã được lưu tại CSDL quốc gia; phiên bản này không được gửi (PHIEN_BAN_CU)']
      : ['superseded', 'PHIEN_BAN_MOI_HON', SUPERSEDED_NOTE];
    await DROP_CLAIMED.run(db, [state, reason, note, now, r.tracking_id, owner]);
    dropped.add(r.tracking_id);
  }
  return dropped;
}

export type AttemptResult =
  | { state: 'delivered' | 'stale' | 'rejected'; httpStatus?: number; answer?: KetQua; error?: string }
  | { state: 'retry'; httpStatus?: number; error: string; nextAttemptAt: number; deadReason?: string };

/** Records one attempt's outcome, only while `owner` still holds the claim. Returns the state written, or undefined if the claim was lost. */
export async function finishAttempt(db: Kysely<DB>, trackingId: string, owner: string, result: AttemptResult): Promise<TrackingStateName | undefined> {
  const now = Date.now();
  if (result.state === 'retry') {
    const state = result.deadReason ? 'dead' : 'queued';
    const updated = await FINISH_RETRY.run(db, [state, result.nextAttemptAt, result.error, result.httpStatus ?? null, result.deadReason ?? null, now, trackingId, owner]);
    return changedRows(updated) > 0 ? state : undefined;
  }
  const answer = result.answer ? JSON.stringify(result.answer) : null;
  const lastError = result.state === 'delivered' ? null : (result.error ?? null);
  const updated = await FINISH_FINAL.run(db, [result.state, result.httpStatus ?? null, answer, lastError, result.state === 'delivered' ? now : null, now, trackingId, owner]);
  return changedRows(updated) > 0 ? result.state : undefined;
}

/** Gives claimed rows back without an attempt (shutdown, breaker opened meanwhile): waiting again, for any process to pick up. */
export async function releaseRows(db: Kysely<DB>, trackingIds: string[], owner: string, nextAttemptAt = 0): Promise<void> {
  const now = Date.now();
  for (const part of chunks(trackingIds)) await RELEASE.of(part.length).run(db, [nextAttemptAt, now, ...part, owner]);
}

export async function markEnqueued(db: Kysely<DB>, trackingIds: string[]): Promise<void> {
  const now = Date.now();
  for (const part of chunks(trackingIds)) {
    await MARK_ENQUEUED.of(part.length).run(db, [now, ...part]);
    await QUEUED_IF_PENDING.of(part.length).run(db, part);
  }
}

/** Rows that need a queue job: never enqueued (Redis was down, or it lost them). */
export async function rowsNeedingJobs(db: Kysely<DB>, limit: number): Promise<Pick<OutboxRow, 'tracking_id' | 'next_attempt_at'>[]> {
  return db
    .selectFrom('outbox')
    .select(['tracking_id', 'next_attempt_at'])
    .where('state', 'in', ['pending', 'queued'])
    .where('enqueued', '=', 0)
    .orderBy('created_at')
    .limit(limit)
    .execute();
}

/** Rows that have a job on record but are long overdue: their job may have been lost without Redis restarting (keys deleted by hand). */
export async function overdueRows(db: Kysely<DB>, overdueMs: number, limit: number): Promise<Pick<OutboxRow, 'tracking_id' | 'next_attempt_at'>[]> {
  return db
    .selectFrom('outbox')
    .select(['tracking_id', 'next_attempt_at'])
    .where('state', 'in', ['pending', 'queued'])
    .where('enqueued', '=', 1)
    .where('next_attempt_at', '<', Date.now() - overdueMs)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
}

/**
 * Claims that ran out: their holder died (SIGKILL, power loss) or hung past two call timeouts.
 * The rows wait again, for any process; a late answer to the old call is harmless (same
 * Idempotency-Key) and its outcome is not recorded since the claim is gone.
 */
export async function reclaimExpired(db: Kysely<DB>): Promise<number> {
  const now = Date.now();
  const r = await db
    .updateTable('outbox')
    .set({ state: 'queued', lease_owner: null, lease_until: 0, enqueued: 0, updated_at: now })
    .where('state', '=', 'delivering')
    .where('lease_until', '<', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** After Redis lost its data: every waiting row needs its job again. */
export async function forgetEnqueued(db: Kysely<DB>): Promise<number> {
  const r = await db.updateTable('outbox').set({ enqueued: 0 }).where('enqueued', '=', 1).where('state', 'in', ['pending', 'queued', 'delivering']).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export function toTrackingState(row: OutboxRow): TrackingState {
  const state: TrackingState = {
    trackingId: row.tracking_id,
    state: row.state as TrackingStateName,
    attempts: Number(row.attempts),
    unitCode: row.unit_code,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.last_error) state.lastError = row.last_error;
  if (row.central_answer) state.central = JSON.parse(row.central_answer) as KetQua;
  if (row.errors) state.errors = JSON.parse(row.errors) as FieldIssue[];
  if (row.kind === 'profile' && row.subject_id) state.soDinhDanh = row.subject_id;
  if (row.record_id) state.recordId = row.record_id;
  if (row.delivered_at) state.deliveredAt = Number(row.delivered_at);
  return state;
}

/** Waiting rows that are due now, soonest first: the embedded store queue's next work. */
export async function dueRows(db: Kysely<DB>, limit: number): Promise<string[]> {
  // One read per state, each a range of index outbox_state_due that stops at the limit (an IN
  // over both states would make SQLite read and sort every waiting row), merged here.
  const now = Date.now();
  const lists = await Promise.all((['queued', 'pending'] as const).map((state) => DUE_IN_STATE.run<Pick<OutboxRow, 'tracking_id' | 'next_attempt_at' | 'created_at'>>(db, [state, now, limit])));
  return lists
    .flatMap((r) => r.rows)
    .sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || Number(a.created_at) - Number(b.created_at))
    .slice(0, limit)
    .map((r) => r.tracking_id);
}

/** When the next waiting row falls due, or the next claim runs out (undefined: nothing waits). */
export async function nextDueAt(db: Kysely<DB>): Promise<number | undefined> {
  const waiting = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('state', 'in', ['pending', 'queued'])
    .executeTakeFirst();
  const claimed = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.min('lease_until').as('at'))
    .where('state', '=', 'delivering')
    .executeTakeFirst();
  const times = [waiting?.at, claimed?.at].filter((t) => t !== null && t !== undefined).map(Number);
  return times.length ? Math.min(...times) : undefined;
}
