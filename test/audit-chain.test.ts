import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { STORE_KINDS, cleanup } from './helpers/env.js';
import { verifyChain } from '../gateway/audit/verify.js';
import { entryHash, signCheckpoint } from '../gateway/audit/chain.js';
import { makeAuditPki } from './audit-helpers.js';
import { shiftSeqs, tamper, trailFixture, writeEntries, type TrailFixture } from './audit-fixtures.js';

afterAll(cleanup);

const N = 30;

async function written(kind: 'sqlite' | 'postgres'): Promise<TrailFixture> {
  const f = await trailFixture(kind);
  await writeEntries(f, N);
  return f;
}

async function row(f: TrailFixture, seq: number) {
  return f.store.db.selectFrom('audit_entries').selectAll().where('seq', '=', seq).executeTakeFirstOrThrow();
}

const q = (v: unknown) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

function insertSql(r: Record<string, unknown>): string {
  const cols = Object.keys(r);
  return `INSERT INTO audit_entries (${cols.join(',')}) VALUES (${cols.map((c) => q(r[c])).join(',')})`;
}

describe.each(STORE_KINDS)('audit chain on %s', (kind) => {
  it('an untouched trail verifies, with signed checkpoints along the way', async () => {
    const f = await written(kind);
    const v = await verifyChain(f.store, { trust: { caPems: [f.pki.caPem] } });
    expect(v.problem).toBeUndefined();
    expect(v.ok).toBe(true);
    expect(v.entries).toBe(N);
    expect(v.checkpointsVerified).toBeGreaterThanOrEqual(3);
    expect(v.lastCheckpointSeq).toBe(N); // close() covered the tail
    expect(v.signers[0].trusted).toBe(true);
  });

  it('UPDATE and DELETE through the normal path are refused by the store', async () => {
    const f = await written(kind);
    await expect(sql`UPDATE audit_entries SET outcome = 'ok' WHERE seq = 3`.execute(f.store.db)).rejects.toThrow(/NHAT_KY_KHONG_DUOC_SUA/);
    await expect(sql`DELETE FROM audit_entries WHERE seq = 3`.execute(f.store.db)).rejects.toThrow(/NHAT_KY_KHONG_DUOC/);
    await expect(sql`UPDATE audit_checkpoints SET chain_hash = 'x'`.execute(f.store.db)).rejects.toThrow(/NHAT_KY_KHONG_DUOC_SUA/);
    await expect(sql`DELETE FROM audit_checkpoints`.execute(f.store.db)).rejects.toThrow(/NHAT_KY_KHONG_DUOC/);
    if (kind === 'postgres') await expect(sql`TRUNCATE audit_entries`.execute(f.store.db)).rejects.toThrow(/NHAT_KY_KHONG_DUOC_SUA/);
    // A session that merely claims to be the archiver still cannot delete un-archived rows.
    if (kind === 'postgres') {
      await expect(
        f.store.db.transaction().execute(async (trx) => {
          await sql`select set_config('ndxp.audit_archiver', 'on', true)`.execute(trx);
          await sql`DELETE FROM audit_entries WHERE seq = 3`.execute(trx);
        }),
      ).rejects.toThrow(/NHAT_KY_KHONG_DUOC/);
    }
    expect((await verifyChain(f.store)).ok).toBe(true);
  });

  it('pinpoints an edited entry', async () => {
    const f = await written(kind);
    await tamper(f.store, [`UPDATE audit_entries SET outcome = 'delivered' WHERE seq = 14`]);
    const v = await verifyChain(f.store);
    expect(v.ok).toBe(false);
    expect(v.problem).toMatchObject({ kind: 'changed', seq: 14, code: 'NHAT_KY_BI_SUA' });
  });

  it('pinpoints an edited entry whose hash was recomputed', async () => {
    const f = await written(kind);
    const r = await row(f, 14);
    const forged = { ...r, target: 'forged' };
    const hash = entryHash(forged as unknown as Record<string, unknown>, r.prev_hash);
    await tamper(f.store, [`UPDATE audit_entries SET target = 'forged', hash = '${hash}' WHERE seq = 14`]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'changed', seq: 14 });
  });

  it('pinpoints a deleted entry', async () => {
    const f = await written(kind);
    await tamper(f.store, [`DELETE FROM audit_entries WHERE seq = 17`]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'removed', seq: 17, code: 'NHAT_KY_BI_XOA' });
  });

  it('pinpoints a deleted entry when the later ones were renumbered to hide the gap', async () => {
    const f = await written(kind);
    await tamper(f.store, [`DELETE FROM audit_entries WHERE seq = 17`, ...shiftSeqs(18, -1)]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'removed', seq: 17 });
  });

  it('pinpoints deleted entries at the tail', async () => {
    const f = await written(kind);
    await tamper(f.store, [`DELETE FROM audit_entries WHERE seq >= 29`]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'removed', seq: 29 });
  });

  it('pinpoints a cut tail even when the head row was rewritten to match (signed checkpoint beyond it)', async () => {
    const f = await written(kind);
    const r28 = await row(f, 28);
    await tamper(f.store, [`DELETE FROM audit_entries WHERE seq >= 29`, `UPDATE audit_head SET last_seq = 28, last_hash = '${r28.hash}'`]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'removed', seq: 29 });
  });

  it('verifies consistently while another trail keeps appending', async () => {
    const f = await written(kind);
    const { createAuditTrail } = await import('../gateway/audit/trail.js');
    const { quietLogger } = await import('../core/log.js');
    const writer = await createAuditTrail({ store: f.store, config: f.config, log: quietLogger(), nodeName: 'w', signingIdentity: async () => f.pki.identity });
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) await writer.recordDurable({ kind: 'exchange', outcome: 'queued', requestId: `live-${i}` });
    })();
    try {
      for (let i = 0; i < 5; i++) {
        const v = await verifyChain(f.store);
        expect(v.problem).toBeUndefined();
      }
    } finally {
      stop = true;
      await load;
      await writer.close();
    }
    expect((await verifyChain(f.store)).ok).toBe(true);
  });

  it('pinpoints an inserted entry (well-formed forgery, later entries renumbered)', async () => {
    const f = await written(kind);
    const before = await row(f, 11);
    const forged: Record<string, unknown> = { ...before, seq: 12, outcome: 'delivered', request_id: 'forged', prev_hash: before.hash };
    forged.hash = entryHash(forged, before.hash);
    await tamper(f.store, [...shiftSeqs(12, 1), insertSql(forged)]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'inserted', seq: 12, code: 'NHAT_KY_BI_CHEN' });
  });

  it('pinpoints an inserted entry with a made-up chain', async () => {
    const f = await written(kind);
    const before = await row(f, 11);
    const forged: Record<string, unknown> = { ...before, seq: 12, request_id: 'forged', prev_hash: 'f'.repeat(64), hash: 'e'.repeat(64) };
    await tamper(f.store, [...shiftSeqs(12, 1), insertSql(forged)]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'inserted', seq: 12 });
  });

  it('pinpoints an entry appended behind the trail', async () => {
    const f = await written(kind);
    const last = await row(f, N);
    const forged: Record<string, unknown> = { ...last, seq: N + 1, request_id: 'forged', prev_hash: last.hash };
    forged.hash = entryHash(forged, last.hash);
    await tamper(f.store, [insertSql(forged)]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'inserted', seq: N + 1 });
  });

  it('pinpoints two swapped entries', async () => {
    const f = await written(kind);
    await tamper(f.store, [
      `UPDATE audit_entries SET seq = -1 WHERE seq = 21`,
      `UPDATE audit_entries SET seq = 21 WHERE seq = 22`,
      `UPDATE audit_entries SET seq = 22 WHERE seq = -1`,
    ]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'reordered', seq: 21, code: 'NHAT_KY_SAI_THU_TU' });
  });

  it('pinpoints entries swapped far apart', async () => {
    const f = await written(kind);
    await tamper(f.store, [
      `UPDATE audit_entries SET seq = -1 WHERE seq = 5`,
      `UPDATE audit_entries SET seq = 5 WHERE seq = 25`,
      `UPDATE audit_entries SET seq = 25 WHERE seq = -1`,
    ]);
    const v = await verifyChain(f.store);
    expect(v.problem).toMatchObject({ kind: 'reordered', seq: 5 });
  });

  it('catches a whole chain rewritten after an edit through the signed checkpoints', async () => {
    const f = await written(kind);
    // Edit entry 14 and recompute every hash after it, and the head: only signatures can tell.
    const rows = await f.store.db.selectFrom('audit_entries').selectAll().where('seq', '>=', 14).orderBy('seq').execute();
    let prev = rows[0].prev_hash;
    const statements: string[] = [];
    for (const r of rows) {
      const changed: Record<string, unknown> = { ...r, prev_hash: prev, ...(r.seq === 14 ? { outcome: 'delivered' } : {}) };
      changed.hash = entryHash(changed, prev);
      statements.push(`UPDATE audit_entries SET outcome = ${q(changed.outcome)}, prev_hash = '${prev}', hash = '${changed.hash}' WHERE seq = ${r.seq}`);
      prev = changed.hash as string;
    }
    statements.push(`UPDATE audit_head SET last_hash = '${prev}'`);
    await tamper(f.store, statements);
    const v = await verifyChain(f.store);
    expect(v.problem?.kind).toBe('changed');
    expect(v.problem?.seq).toBeGreaterThanOrEqual(14);
    expect(v.problem?.seq).toBeLessThanOrEqual(20);
    expect(v.problem?.message).toMatch(/điểm kiểm tra/);
  });

  it('rejects a checkpoint signed by an untrusted key and a checkpoint with a bad signature', async () => {
    const f = await written(kind);
    const stranger = await makeAuditPki('stranger');
    const free = async (x: TrailFixture) => {
      const taken = new Set((await x.store.db.selectFrom('audit_checkpoints').select('seq').execute()).map((c) => Number(c.seq)));
      return [11, 12, 13, 14, 16, 17].find((s) => !taken.has(s))!;
    };
    const s1 = await free(f);
    const r = await row(f, s1);
    const cp = signCheckpoint(stranger.identity, { seq: s1, at: Date.now(), entry_count: s1, chain_hash: r.hash, node: 'x' });
    await f.store.db.insertInto('audit_checkpoints').values(cp).execute();
    let v = await verifyChain(f.store, { trust: { caPems: [f.pki.caPem] } });
    expect(v.problem).toMatchObject({ kind: 'checkpoint', seq: s1 });

    const g = await written(kind);
    const s2 = await free(g);
    const r2 = await row(g, s2);
    const good = signCheckpoint(g.pki.identity, { seq: s2, at: Date.now(), entry_count: s2, chain_hash: r2.hash, node: 'x' });
    await g.store.db.insertInto('audit_checkpoints').values({ ...good, chain_hash: 'a'.repeat(64) }).execute();
    v = await verifyChain(g.store, { trust: { caPems: [g.pki.caPem] } });
    expect(v.problem).toMatchObject({ kind: 'checkpoint', seq: s2 });
  });

  it('verifies a time range, anchored to the entry before it', async () => {
    const f = await written(kind);
    const from = Date.UTC(2026, 10, 20, 3, 10, 0);
    const to = Date.UTC(2026, 10, 20, 3, 20, 0);
    const v = await verifyChain(f.store, { from, to });
    expect(v.ok).toBe(true);
    expect(v.firstSeq).toBe(10);
    expect(v.lastSeq).toBe(20);
    await tamper(f.store, [`UPDATE audit_entries SET unit_code = 'X' WHERE seq = 25`]);
    expect((await verifyChain(f.store, { from, to })).ok).toBe(true);
    expect((await verifyChain(f.store)).problem).toMatchObject({ kind: 'changed', seq: 25 });
  });
});
