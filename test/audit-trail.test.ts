import { afterAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { STORE_KINDS, cleanup, testConfig, testStore } from './helpers/env.js';
import { quietLogger } from '../core/log.js';
import { createAuditTrail } from '../gateway/audit/trail.js';
import { generateBodyKey } from '../gateway/audit/protect.js';
import { readAuditBody } from '../gateway/audit/bodies.js';
import { auditSummary, csvHeader, csvRow, searchAll, searchAudit } from '../gateway/audit/search.js';
import { verifyChain } from '../gateway/audit/verify.js';
import { listArchiveFiles, runRetention, scheduleRetention } from '../gateway/audit/archive.js';
import { sampleEvent, sharedPki, tamper, trailFixture, writeEntries } from './audit-fixtures.js';

afterAll(cleanup);

const log = quietLogger();

describe.each(STORE_KINDS)('audit trail on %s', (kind) => {
  it('keeps full bodies only encrypted, decrypts them for the auditor, and survives key rotation', async () => {
    const oldKey = generateBodyKey();
    const newKey = generateBodyKey();
    const config = testConfig(kind, { audit: { bodies: 'full', encryptionKeys: [oldKey] } });
    const store = await testStore(kind, config);
    const pki = await sharedPki();
    const t1 = await createAuditTrail({ store, config, log, nodeName: 'n1', signingIdentity: async () => pki.identity });
    const secretXml = '<HoSo><HoTen>Nguyễn Thị Bích</HoTen><SoDinhDanh>001190012345</SoDinhDanh></HoSo>';
    await t1.recordDurable({ kind: 'exchange', outcome: 'queued', requestBody: secretXml, responseBody: '<KetQua>OK</KetQua>' });
    await t1.close();

    // Rotation: the new key goes first and encrypts; the old one stays to decrypt.
    const rotated = { ...config, audit: { ...config.audit, encryptionKeys: [newKey, oldKey] } };
    const t2 = await createAuditTrail({ store, config: rotated, log, nodeName: 'n1', signingIdentity: async () => pki.identity });
    await t2.recordDurable({ kind: 'exchange', outcome: 'queued', requestBody: 'second body' });
    // Per-event override: metadata only, and off (no digest at all).
    await t2.recordDurable({ kind: 'exchange', outcome: 'ok', requestBody: 'meta only', bodyRetention: 'metadata' });
    await t2.recordDurable({ kind: 'exchange', outcome: 'ok', requestBody: 'nothing', bodyRetention: 'off' });
    await t2.close();

    const rows = await store.db.selectFrom('audit_entries').selectAll().orderBy('seq').execute();
    expect(rows).toHaveLength(4);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain('Nguyễn');
    expect(dump).not.toContain('second body');
    expect(rows[0].request_body).toMatch(/^v1\./);
    expect(rows[0].request_body!.split('.')[1]).not.toBe(rows[1].request_body!.split('.')[1]); // different key ids
    expect(rows[2].request_body).toBeNull();
    expect(rows[2].request_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[3].request_sha256).toBeNull();
    expect(rows[3].body_retention).toBe('off');
    expect(rows[3].request_bytes).toBe(7);

    expect((await readAuditBody(store, rotated, 1, 'request')).body.toString('utf8')).toBe(secretXml);
    expect((await readAuditBody(store, rotated, 1, 'response')).body.toString('utf8')).toBe('<KetQua>OK</KetQua>');
    expect((await readAuditBody(store, rotated, 2, 'request')).body.toString('utf8')).toBe('second body');
    // Without the old key the old body is unreadable, and the error says which key is missing.
    const onlyNew = { ...config, audit: { ...config.audit, encryptionKeys: [newKey] } };
    await expect(readAuditBody(store, onlyNew, 1, 'request')).rejects.toMatchObject({ code: 'KHOA_MA_HOA_NHAT_KY_KHONG_HOP_LE' });
    await expect(readAuditBody(store, rotated, 3, 'request')).rejects.toMatchObject({ code: 'NOI_DUNG_KHONG_DUOC_LUU' });
    // A ciphertext moved to another entry or part does not decrypt.
    await tamper(store, [`UPDATE audit_entries SET response_body = request_body WHERE seq = 1`]);
    await expect(readAuditBody(store, rotated, 1, 'response')).rejects.toMatchObject({ code: 'NOI_DUNG_BI_SUA' });
    expect((await verifyChain(store)).ok).toBe(true); // bodies are outside the chain, bound by digest
  });

  it('degrades full to metadata when no encryption key is configured (never stores clear text)', async () => {
    const f = await trailFixture(kind, { audit: { bodies: 'full' } });
    await f.trail.recordDurable({ kind: 'exchange', outcome: 'ok', requestBody: 'clear text must not be kept' });
    await f.trail.close();
    const row = await f.store.db.selectFrom('audit_entries').selectAll().executeTakeFirstOrThrow();
    expect(row.body_retention).toBe('metadata');
    expect(row.request_body).toBeNull();
    expect(row.request_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds entries by full personal id without storing it, and by every other filter', async () => {
    const f = await trailFixture(kind);
    await writeEntries(f, 30);
    const all = await f.store.db.selectFrom('audit_entries').select(['personal_ids_masked', 'personal_id_digests']).execute();
    expect(JSON.stringify(all)).not.toContain('001090010012');
    const id12 = '001090010012';
    const byId = await searchAudit(f.store, f.config, { personalId: id12 });
    expect(byId.items.map((i) => i.seq)).toEqual([12]);
    expect(byId.items[0].personalIds).toEqual(['********0012']);
    expect((await searchAudit(f.store, f.config, { personalId: ' 0010 9001 0012 ' })).items).toHaveLength(1);
    expect((await searchAudit(f.store, f.config, { personalId: '001090010099' })).items).toHaveLength(0);

    expect((await searchAudit(f.store, f.config, { trackingId: 'trk-7-b' })).items.map((i) => i.seq)).toEqual([7]);
    expect((await searchAudit(f.store, f.config, { unit: '000.00.00.H26' })).items.every((i) => i.unitCode === '000.00.00.H26')).toBe(true);
    expect((await searchAudit(f.store, f.config, { key: 'k1', unit: '000.00.00.H26' })).items).toHaveLength(10);
    expect((await searchAudit(f.store, f.config, { cert: '0a1f' })).items.every((i) => i.certSerial === '0A1F')).toBe(true);
    expect((await searchAudit(f.store, f.config, { cert: 'phan-mem-2' })).items).toHaveLength(10);
    expect((await searchAudit(f.store, f.config, { software: 'sw-0', outcome: 'refused' })).items.map((i) => i.seq)).toEqual([21]);
    expect((await searchAudit(f.store, f.config, { code: 'KHOA_KET_NOI_KHONG_HOP_LE' })).items.map((i) => i.seq)).toEqual([7, 14, 21, 28]);
    expect((await searchAudit(f.store, f.config, { operation: 'DongBoHoSo', kind: 'delivery' })).items.map((i) => i.seq)).toEqual([5, 10, 15, 20, 25, 30]);
    const from = Date.UTC(2026, 10, 20, 3, 10, 0);
    const to = Date.UTC(2026, 10, 20, 3, 12, 0);
    expect((await searchAudit(f.store, f.config, { from, to })).items.map((i) => i.seq)).toEqual([10, 11, 12]);

    // Paging by cursor, both directions.
    const p1 = await searchAudit(f.store, f.config, {}, { limit: 12 });
    expect(p1.items.map((i) => i.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const p3 = await searchAudit(f.store, f.config, {}, { limit: 12, cursor: 24 });
    expect(p3.items.map((i) => i.seq)).toEqual([25, 26, 27, 28, 29, 30]);
    expect(p3.nextCursor).toBeNull();
    const d = await searchAudit(f.store, f.config, {}, { limit: 3, order: 'desc' });
    expect(d.items.map((i) => i.seq)).toEqual([30, 29, 28]);
    expect(d.nextCursor).toBe(28);

    // CSV and JSON Lines rows of everything that matched.
    const items = [];
    for await (const i of searchAll(f.store, f.config, { unit: '000.00.00.H01' })) items.push(i);
    expect(items).toHaveLength(10);
    const csv = csvHeader() + items.map(csvRow).join('');
    const lines = csv.trim().split('\r\n');
    expect(lines).toHaveLength(11);
    expect(lines[0].split(',')[0]).toBe('seq');
    expect(csv).toContain('********');
    expect(csvRow({ ...items[0], target: '=HYPERLINK("x")' })).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('summarises exchanges per unit/key/day, refusals by reason, delivery latency and backlog', async () => {
    const f = await trailFixture(kind);
    await writeEntries(f, 30);
    const s = await auditSummary(f.store, {});
    const exchanges = s.exchangesPerUnitDay.reduce((n, r) => n + r.exchanges, 0);
    expect(exchanges).toBe(30 - 4 - 6); // 7,14,21,28 are refusals; 5,10,…,30 deliveries
    expect(s.exchangesPerUnitDay[0].day).toBe('2026-11-20');
    expect(s.refusalsByCode).toEqual([{ code: 'KHOA_KET_NOI_KHONG_HOP_LE', count: 4 }]);
    expect(s.delivery.reduce((n, b) => n + b.delivered, 0)).toBe(6);
    expect(s.delivery[0].avgLatencyMs).toBeGreaterThan(0);
    // 20 exchanges queued two records each; the 6 deliveries concern other records, so nothing left.
    const last = s.backlog[s.backlog.length - 1];
    expect(last.backlog).toBe(40);
    expect(s.backlog.reduce((n, b) => n + b.settled, 0)).toBe(0);
    // Now deliveries of queued records: a retry keeps it waiting, delivered/dead settle it.
    const g = await trailFixture(kind);
    const at = Date.UTC(2026, 10, 20, 3, 0, 0);
    g.trail.record({ kind: 'exchange', outcome: 'queued', trackingIds: ['a', 'b', 'c'], at });
    g.trail.record({ kind: 'delivery', outcome: 'retry', trackingIds: ['a'], at: at + 60_000, latencyMs: 30 });
    g.trail.record({ kind: 'delivery', outcome: 'delivered', trackingIds: ['b'], at: at + 120_000, latencyMs: 20 });
    g.trail.record({ kind: 'delivery', outcome: 'retry', trackingIds: ['d'], at: at + 3_600_000, latencyMs: 10 }); // queued inside a mixed answer
    g.trail.record({ kind: 'delivery', outcome: 'delivered', trackingIds: ['a'], at: at + 3_700_000, latencyMs: 10 });
    g.trail.record({ kind: 'delivery', outcome: 'dead', trackingIds: ['c'], at: at + 7_300_000 });
    await g.trail.close();
    const s2 = await auditSummary(g.store, {});
    expect(s2.backlog.map((b) => b.backlog)).toEqual([2, 2, 1]);
    expect(s2.backlog.map((b) => [b.queued, b.settled])).toEqual([
      [3, 1],
      [1, 1],
      [0, 1],
    ]);
    expect(s2.delivery[0]).toMatchObject({ attempts: 2, delivered: 1, failed: 1, avgLatencyMs: 25, maxLatencyMs: 30 });
    expect(s.exchangesPerKeyDay.reduce((n, r) => n + r.exchanges, 0)).toBe(exchanges);
  });

  it('recordDurable resolves only once the entry is committed; record never throws', async () => {
    const f = await trailFixture(kind, { audit: { flushIntervalMs: 10_000 } });
    f.trail.record({ kind: 'admin', outcome: 'ok', operation: 'before' });
    await f.trail.recordDurable({ kind: 'exchange', outcome: 'queued', operation: 'durable' });
    const ops = (await f.store.db.selectFrom('audit_entries').select('operation').orderBy('seq').execute()).map((r) => r.operation);
    expect(ops).toEqual(['before', 'durable']); // committed together, in order, without waiting for the 10 s timer
    // A malformed event is logged, not thrown into the caller.
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => f.trail.record({ kind: 'admin', outcome: 'ok', details: circular })).not.toThrow();
    await f.trail.flush();
    expect(await f.store.db.selectFrom('audit_entries').select('details').where('seq', '=', 3).executeTakeFirstOrThrow()).toEqual({ details: '{"unserialisable":true}' });
    await f.trail.close();
  });

  it('recordDurable rejects when the store cannot take the entry, and plain events wait for it', async () => {
    const config = testConfig(kind, { audit: { flushIntervalMs: 5 } });
    const store = await testStore(kind, config);
    const pki = await sharedPki();
    const trail = await createAuditTrail({ store, config, log: quietLogger(), nodeName: 'n1', signingIdentity: async () => pki.identity, durableAttempts: 2 });
    // Make every append fail: the head row is gone (the trail must not invent a chain start).
    await sql`DELETE FROM audit_head`.execute(store.db);
    trail.record({ kind: 'admin', outcome: 'ok', operation: 'kept-for-retry' });
    await expect(trail.recordDurable({ kind: 'exchange', outcome: 'queued' })).rejects.toMatchObject({ code: 'NHAT_KY_KHONG_GHI_DUOC' });
    expect(trail.stats().failedWrites).toBeGreaterThan(0);
    expect(trail.stats().buffered).toBe(1);
    const now = Date.now();
    await store.db.insertInto('audit_head').values({ id: 1, last_seq: 0, last_hash: '0'.repeat(64), last_checkpoint_seq: 0, last_checkpoint_at: now, updated_at: now }).execute();
    await trail.flush();
    const ops = (await store.db.selectFrom('audit_entries').select('operation').execute()).map((r) => r.operation);
    expect(ops).toEqual(['kept-for-retry']);
    await trail.close();
  });

  it('keeps hostile text (NUL, lone surrogates) verifiable, and a poison event cannot block the trail', async () => {
    const f = await trailFixture(kind, { audit: { flushIntervalMs: 1 } });
    await f.trail.recordDurable({ kind: 'refusal', outcome: 'refused', operation: 'Dong\u0000BoHoSo\uD800', target: 'x\uDC00y', details: { raw: 'a\u0000b' } });
    const op = await f.store.db.selectFrom('audit_entries').select('operation').executeTakeFirstOrThrow();
    expect(op.operation).toBe('Dong\uFFFDBoHoSo\uFFFD');
    // A store that refuses one particular event (here a test trigger) while answering otherwise.
    if (kind === 'postgres') {
      await sql.raw(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.operation = 'poison' THEN RAISE EXCEPTION 'poison'; END IF; RETURN NEW; END $$`).execute(f.store.db);
      await sql.raw(`CREATE TRIGGER poison BEFORE INSERT ON audit_entries FOR EACH ROW EXECUTE FUNCTION refuse_poison()`).execute(f.store.db);
    } else {
      await sql.raw(`CREATE TRIGGER poison BEFORE INSERT ON audit_entries WHEN NEW.operation = 'poison' BEGIN SELECT RAISE(ABORT, 'poison'); END`).execute(f.store.db);
    }
    f.trail.record({ kind: 'admin', outcome: 'ok', operation: 'before' });
    f.trail.record({ kind: 'admin', outcome: 'ok', operation: 'poison' });
    f.trail.record({ kind: 'admin', outcome: 'ok', operation: 'after' });
    await f.trail.flush();
    await f.trail.close();
    const ops = (await f.store.db.selectFrom('audit_entries').select(['operation', 'code', 'details']).orderBy('seq').execute()).map((r) => r.operation);
    expect(ops).toEqual([op.operation, 'before', 'audit.entries-lost', 'after']);
    expect(f.trail.stats().dropped).toBe(1);
    expect((await verifyChain(f.store)).ok).toBe(true);
  }, 30_000);

  it('concurrent appends from two trails on one store keep one valid chain', async () => {
    const config = testConfig(kind, { audit: { flushIntervalMs: 1, checkpointEvery: 25 } });
    const storeA = await testStore(kind, config);
    // PostgreSQL: two pools, as two gateway processes would have. SQLite: better-sqlite3 blocks
    // the thread while it waits for the file lock, so two connections in ONE process would wait
    // on each other; gateway processes each have their own thread, and within a process all
    // trails share the store's one connection, which is what is exercised here.
    const storeB = kind === 'postgres' ? await testStore(kind, config) : storeA;
    const pki = await sharedPki();
    const a = await createAuditTrail({ store: storeA, config, log, nodeName: 'node-a', signingIdentity: async () => pki.identity, maxBatch: 7 });
    const b = await createAuditTrail({ store: storeB, config, log, nodeName: 'node-b', signingIdentity: async () => pki.identity, maxBatch: 5 });
    const jobs: Promise<void>[] = [];
    for (let i = 0; i < 120; i++) {
      const t = i % 2 ? a : b;
      if (i % 3 === 0) jobs.push(t.recordDurable(sampleEvent(i)));
      else t.record(sampleEvent(i));
    }
    await Promise.all(jobs);
    await Promise.all([a.close(), b.close()]);
    const v = await verifyChain(storeA, { trust: { caPems: [pki.caPem] } });
    expect(v.problem).toBeUndefined();
    expect(v.entries).toBe(120);
    const nodes = await storeA.db.selectFrom('audit_entries').select(['node', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('node').orderBy('node').execute();
    expect(nodes.map((r) => [r.node, Number(r.n)])).toEqual([
      ['node-a', 60],
      ['node-b', 60],
    ]);
    expect(v.checkpointsVerified).toBeGreaterThanOrEqual(4);
  });

  it('a running gateway applies retention on schedule and records that it did', async () => {
    const f = await trailFixture(kind, { audit: { retentionDays: 1, archiveIntervalMs: 3_600_000 } });
    await writeEntries(f, 12);
    const audit = await createAuditTrail({ store: f.store, config: f.config, log, nodeName: 'n3', signingIdentity: async () => f.pki.identity });
    const schedule = scheduleRetention({ store: f.store, config: f.config, log, nodeName: 'n3', audit }, async () => f.pki.identity, {
      initialDelayMs: 0,
      now: () => Date.UTC(2026, 10, 25),
    });
    try {
      // Done when the run recorded itself (after the file, the bookkeeping row and the deletion).
      const recorded = async () => {
        await audit.flush();
        return (await f.store.db.selectFrom('audit_entries').select('seq').where('operation', '=', 'audit.archive').execute()).length > 0;
      };
      for (let i = 0; i < 300 && !(await recorded()); i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      schedule.stop();
    }
    expect(listArchiveFiles(f.config)).toHaveLength(1);
    await audit.flush();
    const rows = await f.store.db.selectFrom('audit_entries').select(['operation', 'actor']).execute();
    expect(rows).toEqual([{ operation: 'audit.archive', actor: 'system:retention' }]);
    await audit.close();
    expect((await verifyChain(f.store, { archives: listArchiveFiles(f.config) })).ok).toBe(true);
  });

  it('archives old entries into files that chain with the live trail; triggers still refuse other deletes', async () => {
    const f = await trailFixture(kind, { audit: { retentionDays: 1, checkpointEvery: 1_000_000 } });
    // Checkpoints exactly at 10, 20, 30 (entries dated 2026-11-20 03:01..03:30 UTC).
    for (let i = 1; i <= 30; i++) {
      f.trail.record(sampleEvent(i));
      if (i % 10 === 0) {
        await f.trail.flush();
        await f.trail.checkpoint();
      }
    }
    await f.trail.close();
    const now = Date.UTC(2026, 10, 21, 3, 25, 30); // entries up to 03:25 on the 20th are older than 1 day
    const fresh = await createAuditTrail({ store: f.store, config: f.config, log, nodeName: 'n2', signingIdentity: async () => f.pki.identity });
    await fresh.recordDurable({ kind: 'admin', outcome: 'ok', operation: 'after', at: Date.UTC(2026, 10, 21, 3, 0, 0) });
    await fresh.close();

    const r = await runRetention({ store: f.store, config: f.config, log, nodeName: 'n1', signer: f.pki.identity, now, maxEntriesPerFile: 10 });
    expect(r.files.map((x) => [x.firstSeq, x.lastSeq])).toEqual([
      [1, 10],
      [11, 20],
    ]);
    const live = await f.store.db.selectFrom('audit_entries').select('seq').orderBy('seq').execute();
    expect(live[0].seq).toBe(21);
    const files = readdirSync(path.join(f.config.dataDir, 'audit-archive')).map((x) => path.join(f.config.dataDir, 'audit-archive', x));
    expect(files).toHaveLength(2);

    const withArchives = await verifyChain(f.store, { archives: files, trust: { caPems: [f.pki.caPem] } });
    expect(withArchives.problem).toBeUndefined();
    expect(withArchives.ok).toBe(true);
    expect(withArchives.archives.map((x) => x.entries)).toEqual([10, 10]);
    const liveOnly = await verifyChain(f.store);
    expect(liveOnly.ok).toBe(true);
    expect(liveOnly.archivedNotChecked).toEqual({ fromSeq: 1, toSeq: 20 });

    // Missing archive file, or deleting the first live entry, is caught.
    expect((await verifyChain(f.store, { archives: [files[1]] })).ok).toBe(false);
    await expect(sql`DELETE FROM audit_entries WHERE seq = 21`.execute(f.store.db)).rejects.toThrow(/NHAT_KY_KHONG_DUOC/);
    if (kind === 'postgres') {
      await expect(
        f.store.db.transaction().execute(async (trx) => {
          await sql`select set_config('ndxp.audit_archiver', 'on', true)`.execute(trx);
          await sql`DELETE FROM audit_entries WHERE seq = 21`.execute(trx);
        }),
      ).rejects.toThrow(/NHAT_KY_KHONG_DUOC/);
    }
    // A tampered archive file fails, pointing at the file.
    const text = readFileSync(files[0]);
    const copy = Buffer.from(text);
    copy[copy.length - 20] ^= 0x01;
    writeFileSync(files[0], copy);
    const bad = await verifyChain(f.store, { archives: files });
    expect(bad.ok).toBe(false);
    expect(bad.problem?.message).toContain(path.basename(files[0]));
    writeFileSync(files[0], text);
    await tamper(f.store, [`DELETE FROM audit_entries WHERE seq = 21`]);
    expect((await verifyChain(f.store)).problem).toMatchObject({ kind: 'removed', seq: 21 });
  });
});

describe('audit trail configuration', () => {
  it('refuses to start with a malformed encryption key, naming the setting', async () => {
    const config = testConfig('sqlite', { audit: { encryptionKeys: ['dG9vIHNob3J0'] } });
    const store = await testStore('sqlite', config);
    await expect(createAuditTrail({ store, config, log, nodeName: 'n' })).rejects.toThrow(/CAU_HINH_KHONG_HOP_LE.*audit\.encryptionKeys/);
  });
});
