/**
 * The outbox's per-record statements (acceptance, claims, outcomes, releases, the queue's
 * ride-alongs and drops) on both stores: every row they leave, column by column. They are fixed
 * SQL texts (core/store/fixed-sql.ts), not queries built with Kysely per call; these rows are the
 * ones the builder's queries left (this test passed unchanged against them).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, STORE_KINDS, testStore } from './helpers/env.js';
import type { OutboxRow } from '../core/store/tables/delivery.js';
import { acceptRows, claimRows, deadLetterClaimed, dropOvertaken, dueRows, dueRowsOfUnit, nextDueAt, finishAttempt, getRow, markEnqueued, recordInvalidRows, releaseRows, rescheduleRow, type NewRow } from '../gateway/delivery/outbox.js';

afterAll(cleanup);

function row(trackingId: string, kind: 'profile' | 'unit', subject: string | null, versionMs: number): NewRow {
  return {
    tracking_id: trackingId,
    kind,
    subject_id: subject,
    record_id: `r-${trackingId}`,
    version_ms: versionMs,
    version: versionMs ? new Date(versionMs).toISOString() : null,
    idempotency_key: `k-${trackingId}`,
    body: JSON.stringify({ id: trackingId }),
    unit_code: 'SENDER',
    software_id: 'sw',
    key_id: 'key',
    front: 'vendor-a',
    request_id: `req-${trackingId}`,
  };
}

/** Times of this run ("now" give or take) read as 'now'; fixed small times stay as written. */
const RECENT = Date.now() - 60_000;
function normalised(r: OutboxRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
    out[k] = typeof n === 'number' && n > RECENT ? (n > Date.now() + 30_000 ? 'later' : 'now') : n;
  }
  return out;
}

describe.each(STORE_KINDS)('outbox statements (%s)', (kind) => {
  it('the retry queue takes due rows of both waiting states, oldest due first, and knows when the next falls due', async () => {
    const store = await testStore(kind);
    const db = store.db;
    // Queued rows (after a failed attempt) and pending ones (accepted while the centre was down),
    // due at different times; one not due yet, one delivered.
    await acceptRows(store, [row('q1', 'profile', 'Q1', 1), row('q2', 'profile', 'Q2', 1), row('q3', 'profile', 'Q3', 1)], { claim: { owner: 'o', until: Date.now() + 60_000 } });
    await finishAttempt(db, 'q1', 'o', { state: 'retry', error: 'x (X)', nextAttemptAt: 30 });
    await finishAttempt(db, 'q2', 'o', { state: 'retry', error: 'x (X)', nextAttemptAt: Date.now() + 600_000 });
    await finishAttempt(db, 'q3', 'o', { state: 'delivered', httpStatus: 200 });
    await acceptRows(store, [row('p1', 'profile', 'P1', 1)], { notBefore: 20 });
    await acceptRows(store, [row('p2', 'profile', 'P2', 1)], { notBefore: 25 });
    await acceptRows(store, [row('p3', 'profile', 'P3', 1)], { notBefore: 40 });
    expect(await dueRows(db, 10)).toEqual(['p1', 'p2', 'q1', 'p3']);
    expect(await dueRows(db, 2)).toEqual(['p1', 'p2']);
    expect(await nextDueAt(db)).toBe(20);
  });

  it('accept, claim, record, release, drop: the rows left are exactly those the query builder left', async () => {
    const store = await testStore(kind);
    const db = store.db;
    const claim = { owner: 'o1', until: Date.now() + 60_000 };

    // One call: an older and a newer version of P1, a unit, an unversioned profile.
    const first = await acceptRows(store, [row('a2', 'profile', 'P1', 2000), row('a1', 'profile', 'P1', 1000), row('a3', 'unit', 'U1', 1000), row('a4', 'profile', 'P2', 0), row('a5', 'profile', 'P3', 500)], { claim });
    expect(first.map((a) => [a.trackingId, a.state, Boolean(a.claimed), a.existing ?? false])).toEqual([
      ['a2', 'delivering', true, false],
      ['a1', 'superseded', false, false],
      ['a3', 'delivering', true, false],
      ['a4', 'delivering', true, false],
      ['a5', 'delivering', true, false],
    ]);
    expect(normalised(first[0].claimed!)).toEqual(normalised((await getRow(db, 'a2'))!));

    expect(await finishAttempt(db, 'a2', 'o1', { state: 'delivered', httpStatus: 200, answer: { trangThai: 'MOI' } as never })).toBe('delivered');
    expect(await finishAttempt(db, 'a3', 'o1', { state: 'retry', httpStatus: 503, error: 'tạm ngừng (X)', nextAttemptAt: 5 })).toBe('queued');
    expect(await finishAttempt(db, 'a4', 'o1', { state: 'retry', error: 'mạng (Y)', nextAttemptAt: 6, deadReason: 'hết lượt' })).toBe('dead');
    expect(await finishAttempt(db, 'a5', 'other', { state: 'rejected', httpStatus: 422, error: 'sai (Z)' })).toBeUndefined();
    expect(await finishAttempt(db, 'a5', 'o1', { state: 'rejected', httpStatus: 422, answer: { trangThai: 'LOI' } as never, error: 'sai (Z)' })).toBe('rejected');
    expect(await finishAttempt(db, 'a5', 'o1', { state: 'delivered' })).toBeUndefined();

    // Unclaimed, not before t=5: P1 older than the delivered version (stale), U1 newer than the
    // queued a3 (which it supersedes), a retried id, a new person.
    const second = await acceptRows(store, [row('b1', 'profile', 'P1', 1500), row('b2', 'unit', 'U1', 2000), row('a2', 'profile', 'P1', 2000), row('b3', 'profile', 'P4', 10)], { notBefore: 5 });
    expect(second.map((a) => [a.trackingId, a.state, a.existing ?? false, Boolean(a.staleBecause)])).toEqual([
      ['b1', 'stale', false, true],
      ['b2', 'pending', false, false],
      ['a2', 'delivered', true, false],
      ['b3', 'pending', false, false],
    ]);

    await markEnqueued(db, ['b2', 'b3']);
    await rescheduleRow(db, 'b3', 7);
    await rescheduleRow(db, 'a2', 8); // delivered: left alone
    expect(await dueRowsOfUnit(db, 'SENDER', 'b2', 10)).toEqual(['b3']);
    expect(await dueRowsOfUnit(db, 'SENDER', 'b3', 10)).toEqual([]);

    // Not due yet: only an explicit claim ignoring the due time takes it.
    await acceptRows(store, [row('c1', 'profile', 'P9', 10)], { notBefore: Date.now() + 3_600_000 });
    expect(await claimRows(db, ['c1'], 'o5', 60_000)).toEqual([]);
    expect((await claimRows(db, ['c1'], 'o5', 60_000, { ignoreDue: true })).map((r) => r.tracking_id)).toEqual(['c1']);
    await deadLetterClaimed(db, 'c1', 'o5', 'quá hạn');

    const claimed = await claimRows(db, ['b2', 'b3', 'a2', 'nope'], 'o2', 60_000);
    expect(claimed.map((r) => r.tracking_id).sort()).toEqual(['b2', 'b3']);
    for (const r of claimed) expect(normalised(r)).toEqual(normalised((await getRow(db, r.tracking_id))!));
    await releaseRows(db, ['b2', 'b3'], 'someone-else', 99);
    await releaseRows(db, ['b2', 'b3'], 'o2', 9);

    // Claimed, then overtaken: by a waiting newer version (superseded), by a delivered one (stale).
    await acceptRows(store, [row('d1', 'profile', 'P5', 100), row('e1', 'profile', 'P6', 100)], {});
    const held = await claimRows(db, ['d1', 'e1'], 'o3', 60_000);
    await acceptRows(store, [row('d2', 'profile', 'P5', 200)], {});
    await acceptRows(store, [row('e2', 'profile', 'P6', 200)], { claim: { owner: 'o4', until: Date.now() + 60_000 } });
    expect(await finishAttempt(db, 'e2', 'o4', { state: 'delivered', httpStatus: 200, answer: { trangThai: 'MOI' } as never })).toBe('delivered');
    expect([...(await dropOvertaken(db, held, 'o3'))].sort()).toEqual(['d1', 'e1']);

    await recordInvalidRows(store, [row('i1', 'profile', 'P7', 10)], [[{ pointer: '/x', field: 'x', code: 'C', message: 'm' }]]);
    await recordInvalidRows(store, [row('i1', 'profile', 'P7', 10)], [[{ pointer: '/y', field: 'y', code: 'D', message: 'n' }]]);
    // Columns left undefined get their DDL defaults, as the builder left them to DEFAULT.
    await acceptRows(store, [{ ...row('u1', 'unit', 'U9', 0), version_ms: undefined as never, version: undefined as never, key_id: undefined as never }], {});

    const rows = await db.selectFrom('outbox').selectAll().orderBy('tracking_id').execute();
    const table = Object.fromEntries(rows.map((r) => [r.tracking_id, normalised(r)]));
    const common = (id: string, versionMs: number, kind_: 'profile' | 'unit', subject: string) => ({
      tracking_id: id,
      kind: kind_,
      subject_id: subject,
      record_id: `r-${id}`,
      version_ms: versionMs,
      version: versionMs ? new Date(versionMs).toISOString() : null,
      idempotency_key: `k-${id}`,
      body: JSON.stringify({ id }),
      unit_code: 'SENDER',
      software_id: 'sw',
      key_id: 'key',
      front: 'vendor-a',
      request_id: `req-${id}`,
      created_at: 'now',
      window_start: 'now',
      updated_at: 'now',
    });
    const blank = { attempts: 0, next_attempt_at: 0, last_error: null, http_status: null, central_answer: null, errors: null, enqueued: 0, lease_owner: null, lease_until: 0, reason: null, delivered_at: null };
    const superseded = { state: 'superseded', reason: 'PHIEN_BAN_MOI_HON', last_error: 'Đã có phiên bản mới hơn của hồ sơ này; chỉ phiên bản mới nhất được gửi' };
    expect(table).toEqual({
      a1: { ...common('a1', 1000, 'profile', 'P1'), ...blank, ...superseded },
      a2: { ...common('a2', 2000, 'profile', 'P1'), ...blank, state: 'delivered', attempts: 1, http_status: 200, central_answer: '{"trangThai":"MOI"}', delivered_at: 'now' },
      a3: { ...common('a3', 1000, 'unit', 'U1'), ...blank, ...superseded, attempts: 1, http_status: 503, next_attempt_at: 5 },
      a4: { ...common('a4', 0, 'profile', 'P2'), ...blank, state: 'dead', attempts: 1, last_error: 'mạng (Y)', next_attempt_at: 6, reason: 'hết lượt' },
      a5: { ...common('a5', 500, 'profile', 'P3'), ...blank, state: 'rejected', attempts: 1, http_status: 422, central_answer: '{"trangThai":"LOI"}', last_error: 'sai (Z)' },
      b1: {
        ...common('b1', 1500, 'profile', 'P1'),
        ...blank,
        state: 'stale',
        next_attempt_at: 5,
        reason: 'PHIEN_BAN_CU',
        last_error: `Đã có phiên bản mới hơn (${new Date(2000).toISOString()}) được tiếp nhận hoặc đã lưu; phiên bản này không được gửi (PHIEN_BAN_CU)`,
      },
      b2: { ...common('b2', 2000, 'unit', 'U1'), ...blank, state: 'queued', next_attempt_at: 9 },
      b3: { ...common('b3', 10, 'profile', 'P4'), ...blank, state: 'queued', next_attempt_at: 9 },
      c1: { ...common('c1', 10, 'profile', 'P9'), ...blank, state: 'dead', reason: 'quá hạn', next_attempt_at: 'later' },
      d1: { ...common('d1', 100, 'profile', 'P5'), ...blank, ...superseded },
      d2: { ...common('d2', 200, 'profile', 'P5'), ...blank, state: 'pending' },
      e1: { ...common('e1', 100, 'profile', 'P6'), ...blank, state: 'stale', reason: 'PHIEN_BAN_CU', last_error: 'Phiên bản mới hơn đã được lưu tại CSDL quốc gia; phiên bản này không được gửi (PHIEN_BAN_CU)' },
      e2: { ...common('e2', 200, 'profile', 'P6'), ...blank, state: 'delivered', attempts: 1, http_status: 200, central_answer: '{"trangThai":"MOI"}', delivered_at: 'now' },
      i1: { ...common('i1', 10, 'profile', 'P7'), ...blank, state: 'invalid', last_error: 'x: m (C)', errors: JSON.stringify([{ pointer: '/x', field: 'x', code: 'C', message: 'm' }]) },
      u1: { ...common('u1', 0, 'unit', 'U9'), ...blank, state: 'pending', version: null, key_id: null },
    });
  });
});
