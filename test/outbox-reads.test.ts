/**
 * The outbox reads that matching (doi-soat), reconciliation and the bench use, on both stores:
 * they live in gateway/delivery/outbox.ts only, and the unit a record names is read from its
 * signed body with each store's own JSON operator (SQLite json_extract, PostgreSQL #>>).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, STORE_KINDS, testStore } from './helpers/env.js';
import { acceptRows, finishAttempt, claimRows, getRows, HELD_STATES, profileRows, profileUnits, profileVersions, recordInvalidRows, replayRows, rowsInStates, unitsWithDeliveredProfiles, type NewRow } from '../gateway/delivery/outbox.js';

afterAll(cleanup);

function row(trackingId: string, person: string, recordUnit: string, versionMs: number): NewRow {
  return {
    tracking_id: trackingId,
    kind: 'profile',
    subject_id: person,
    record_id: null,
    version_ms: versionMs,
    version: new Date(versionMs).toISOString(),
    idempotency_key: null,
    body: JSON.stringify({ soDinhDanh: person, hoVaTen: `Người ${person}`, donVi: { maDinhDanh: recordUnit } }),
    unit_code: 'SENDER',
    software_id: 'sw',
    key_id: null,
    front: 'vendor-a',
    request_id: null,
  };
}

describe.each(STORE_KINDS)('outbox reads (%s)', (kind) => {
  it('profile rows by the unit the record names or by person, in the states asked; bodies by tracking id; replay from delivered with a note', async () => {
    const store = await testStore(kind);
    const db = store.db;
    await acceptRows(store, [row('T1', 'P1', 'U1', 1000), row('T2', 'P2', 'U2', 1000), row('T3', 'P3', 'U1', 1000)], {});
    await recordInvalidRows(store, [row('T4', 'P4', 'U1', 1000)], [[{ pointer: '/x', field: 'x', code: 'C', message: 'm' }]]);
    // T1 delivered.
    await claimRows(db, ['T1'], 'me', 60_000, { ignoreDue: true });
    expect(await finishAttempt(db, 'T1', 'me', { state: 'delivered', httpStatus: 200 })).toBe('delivered');

    const cols = ['tracking_id', 'state'] as const;
    const byUnit = await profileRows(db, { units: ['U1'], dialect: store.dialect }, HELD_STATES, cols);
    expect(byUnit.map((r) => r.tracking_id).sort()).toEqual(['T1', 'T3']);
    expect(Object.keys(byUnit[0]).sort()).toEqual(['state', 'tracking_id']);
    expect((await profileRows(db, { people: ['P2', 'P4'] }, HELD_STATES, cols)).map((r) => r.tracking_id)).toEqual(['T2']);
    expect((await profileRows(db, { people: ['P4'] }, ['invalid'], cols)).map((r) => r.tracking_id)).toEqual(['T4']);
    expect(await profileRows(db, { people: [] }, HELD_STATES, cols)).toEqual([]);

    // Versions without their bodies, with the unit the record names read inside the store.
    const versions = await profileVersions(store, { units: ['U1', 'U2'] }, HELD_STATES);
    expect(versions.map((v) => [v.tracking_id, v.subject_id, Number(v.version_ms), v.state, v.unit]).sort()).toEqual([
      ['T1', 'P1', 1000, 'delivered', 'U1'],
      ['T2', 'P2', 1000, 'pending', 'U2'],
      ['T3', 'P3', 1000, 'pending', 'U1'],
    ]);
    expect(Object.keys(versions[0]).sort()).toEqual(['state', 'subject_id', 'tracking_id', 'unit', 'version', 'version_ms']);
    expect((await profileVersions(store, { people: ['P2', 'P4'] }, HELD_STATES)).map((v) => [v.tracking_id, v.unit])).toEqual([['T2', 'U2']]);
    expect((await profileUnits(store, HELD_STATES)).sort()).toEqual(['U1', 'U2']);

    const bodies = await getRows(db, ['T2', 'T9'], ['subject_id', 'body']);
    expect(bodies).toEqual([{ subject_id: 'P2', body: row('T2', 'P2', 'U2', 1000).body }]);
    expect(await unitsWithDeliveredProfiles(db)).toEqual(['SENDER']);
    expect((await rowsInStates(db, ['invalid', 'dead'], ['subject_id', 'state'])).map((r) => [r.subject_id, r.state])).toEqual([['P4', 'invalid']]);

    // An operator's replay takes dead rows only; a resend after reconciliation also delivered ones, with its note.
    expect(await replayRows(db, ['T1'])).toEqual([]);
    expect(await replayRows(db, ['T1', 'T2'], { from: ['delivered', 'dead'], lastError: 'gửi lại' })).toEqual(['T1']);
    const [t1] = await getRows(db, ['T1']);
    expect([t1.state, t1.attempts, t1.last_error]).toEqual(['queued', 0, 'gửi lại']);
  });
});
