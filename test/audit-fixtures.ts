/**
 * Shared setup for the audit tests: a store with a trail that has written a known number of
 * entries in several batches (so several checkpoints exist), and a way to edit the tables
 * directly with the refusal triggers out of the way, as an attacker with database access would.
 */
import { sql } from 'kysely';
import type { Config, ConfigInput } from '../config/config.js';
import type { Store } from '../core/store/db.js';
import { quietLogger } from '../core/log.js';
import { createAuditTrail, type AuditTrail } from '../gateway/audit/trail.js';
import type { AuditEvent } from '../core/audit-sink.js';
import { testConfig, testStore, type StoreKind } from './helpers/env.js';
import { makeAuditPki, type TestAuditPki } from './audit-helpers.js';

let pkiPromise: Promise<TestAuditPki> | undefined;
export const sharedPki = () => (pkiPromise ??= makeAuditPki());

export interface TrailFixture {
  config: Config;
  store: Store;
  trail: AuditTrail;
  pki: TestAuditPki;
}

export async function trailFixture(kind: StoreKind, overrides: ConfigInput = {}): Promise<TrailFixture> {
  const config = testConfig(kind, { ...overrides, audit: { checkpointEvery: 10, flushIntervalMs: 5, ...(overrides.audit ?? {}) } });
  const store = await testStore(kind, config);
  const pki = await sharedPki();
  const trail = await createAuditTrail({ store, config, log: quietLogger(), nodeName: 'node-test', signingIdentity: async () => pki.identity });
  return { config, store, trail, pki };
}

export function sampleEvent(i: number): AuditEvent {
  const units = ['000.00.00.H01', '000.00.00.H26', '000.00.00.G12'];
  return {
    kind: i % 7 === 0 ? 'refusal' : i % 5 === 0 ? 'delivery' : 'exchange',
    at: Date.UTC(2026, 10, 20, 3, 0, 0) + i * 60_000,
    requestId: `req-${i}`,
    trackingIds: [`trk-${i}-a`, `trk-${i}-b`],
    certSubject: `CN=phan-mem-${i % 3},O=Vendor`,
    certSerial: `0A${(i % 3).toString(16).toUpperCase()}F`,
    keyId: `k${i % 3}`,
    softwareId: `sw-${i % 3}`,
    unitCode: units[i % 3],
    front: 'vendor-a-asmx',
    operation: 'DongBoHoSo',
    personalIds: [`0010900${String(10000 + i).slice(-5)}`],
    outcome: i % 7 === 0 ? 'refused' : i % 5 === 0 ? 'delivered' : 'queued',
    code: i % 7 === 0 ? 'KHOA_KET_NOI_KHONG_HOP_LE' : undefined,
    latencyMs: 10 + i,
    requestBody: `<soap:Envelope>${i}</soap:Envelope>`,
    responseBody: `<ok>${i}</ok>`,
    details: { i },
  };
}

/** Writes `n` entries in batches of `batch`, waiting for each batch, then closes the trail. */
export async function writeEntries(f: TrailFixture, n: number, batch = 5): Promise<void> {
  for (let i = 1; i <= n; i++) {
    f.trail.record(sampleEvent(i));
    if (i % batch === 0) await f.trail.flush();
  }
  await f.trail.close();
}

/** Runs raw statements with the append-only triggers disabled (and restores them on PostgreSQL). */
export async function tamper(store: Store, statements: string[]): Promise<void> {
  if (store.dialect === 'postgres') {
    await store.db.connection().execute(async (conn) => {
      for (const t of ['audit_entries', 'audit_checkpoints']) await sql.raw(`ALTER TABLE ${t} DISABLE TRIGGER USER`).execute(conn);
      try {
        for (const s of statements) await sql.raw(s).execute(conn);
      } finally {
        for (const t of ['audit_entries', 'audit_checkpoints']) await sql.raw(`ALTER TABLE ${t} ENABLE TRIGGER USER`).execute(conn);
      }
    });
    return;
  }
  // SQLite has no way to disable a trigger: drop them, as an attacker with the file would.
  for (const t of ['audit_entries_no_update', 'audit_entries_no_delete', 'audit_checkpoints_no_update', 'audit_checkpoints_no_delete']) {
    await sql.raw(`DROP TRIGGER IF EXISTS ${t}`).execute(store.db);
  }
  for (const s of statements) await sql.raw(s).execute(store.db);
}

/** Moves entries seq >= from by `by` positions (two steps, so primary keys never collide). */
export function shiftSeqs(from: number, by: number): string[] {
  return [`UPDATE audit_entries SET seq = -(seq + ${by}) WHERE seq >= ${from}`, `UPDATE audit_entries SET seq = -seq WHERE seq < 0`];
}
