/**
 * The audit trail's tables (issue 5).
 *
 * - `audit_entries`: one row per recorded event, hash-chained (`hash` = SHA-256 over the entry's
 *   canonical form and `prev_hash`, see gateway/audit/chain.ts). Insert-only: triggers refuse
 *   UPDATE always and DELETE except for rows already written to a recorded archive file.
 * - `audit_checkpoints`: signed statements "the chain up to seq N has hash H", insert-only.
 * - `audit_head`: one row (id = 1) holding the last seq and hash. Every append reads and updates
 *   it inside the write lock, which serialises appends across processes and lets `verify` notice
 *   entries removed from the tail or appended behind the trail's back.
 * - `audit_archives`: bookkeeping of retention archive files (seq range, file digest, the hash
 *   the live trail must chain to). Insert-only.
 * - `audit_refs`: search index (personal id digests, tracking ids) → seq. Not part of the
 *   evidence (every value is also inside the hashed entry), so it carries no triggers.
 *
 * Why archiving may delete and nobody else: the DELETE trigger lets a row go only when an
 * `audit_archives` row covers its seq (on PostgreSQL additionally only in a transaction that set
 * `ndxp.audit_archiver = on`). The archiver writes and verifies the archive file first, then
 * inserts the (insert-only) bookkeeping row, then deletes, all in one transaction. So the only
 * way to delete through the triggers leaves a permanent record naming the file that holds the
 * rows, and `verify` checks that record against the live trail's first entry. Anyone able to
 * drop triggers can of course still edit the database: that is what the hash chain and the
 * signed checkpoints are for; the triggers stop mistakes and casual edits, not a DBA.
 */
import { sql, type Kysely } from 'kysely';
import type { Migration } from '../migration.js';

export const GENESIS_HASH = '0'.repeat(64);

export const migration: Migration = {
  name: '004_audit',
  async up(db: Kysely<any>, dialect) {
    const text = (name: string) => name; // readability below
    let t = db.schema.createTable('audit_entries').addColumn('seq', 'bigint', (c) => c.primaryKey());
    t = t.addColumn('at', 'bigint', (c) => c.notNull()).addColumn('node', 'text', (c) => c.notNull()).addColumn('kind', 'text', (c) => c.notNull());
    for (const col of ['request_id', 'tracking_ids', 'cert_subject', 'cert_serial', 'key_id', 'software_id', 'unit_code', 'front', 'operation', 'personal_ids_masked', 'personal_id_digests']) {
      t = t.addColumn(text(col), 'text');
    }
    t = t.addColumn('outcome', 'text', (c) => c.notNull()).addColumn('code', 'text');
    for (const col of ['latency_ms', 'request_bytes', 'response_bytes']) t = t.addColumn(col, 'bigint');
    for (const col of ['request_sha256', 'response_sha256', 'actor', 'target', 'details', 'remote_address']) t = t.addColumn(col, 'text');
    t = t
      .addColumn('body_retention', 'text', (c) => c.notNull())
      .addColumn('request_body', 'text')
      .addColumn('response_body', 'text')
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull());
    await t.execute();
    await db.schema.createIndex('audit_entries_at').on('audit_entries').column('at').execute();
    await db.schema.createIndex('audit_entries_unit_at').on('audit_entries').columns(['unit_code', 'at']).execute();
    await db.schema.createIndex('audit_entries_key_at').on('audit_entries').columns(['key_id', 'at']).execute();
    await db.schema.createIndex('audit_entries_serial').on('audit_entries').column('cert_serial').execute();
    await db.schema.createIndex('audit_entries_request').on('audit_entries').column('request_id').execute();

    await db.schema
      .createTable('audit_checkpoints')
      .addColumn('seq', 'bigint', (c) => c.primaryKey())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('entry_count', 'bigint', (c) => c.notNull())
      .addColumn('chain_hash', 'text', (c) => c.notNull())
      .addColumn('alg', 'text', (c) => c.notNull())
      .addColumn('signature', 'text', (c) => c.notNull())
      .addColumn('cert_der', 'text', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('last_seq', 'bigint', (c) => c.notNull())
      .addColumn('last_hash', 'text', (c) => c.notNull())
      .addColumn('last_checkpoint_seq', 'bigint', (c) => c.notNull())
      .addColumn('last_checkpoint_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    const now = Date.now();
    await db
      .insertInto('audit_head')
      .values({ id: 1, last_seq: 0, last_hash: GENESIS_HASH, last_checkpoint_seq: 0, last_checkpoint_at: now, updated_at: now })
      .execute();

    await db.schema
      .createTable('audit_archives')
      .addColumn('from_seq', 'bigint', (c) => c.primaryKey())
      .addColumn('to_seq', 'bigint', (c) => c.notNull())
      .addColumn('file', 'text', (c) => c.notNull())
      .addColumn('file_sha256', 'text', (c) => c.notNull())
      .addColumn('first_prev_hash', 'text', (c) => c.notNull())
      .addColumn('last_hash', 'text', (c) => c.notNull())
      .addColumn('entry_count', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('node', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('audit_refs')
      .addColumn('seq', 'bigint', (c) => c.notNull())
      .addColumn('ref_type', 'text', (c) => c.notNull())
      .addColumn('ref', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_refs_lookup').on('audit_refs').columns(['ref_type', 'ref', 'seq']).execute();
    await db.schema.createIndex('audit_refs_seq').on('audit_refs').column('seq').execute();

    if (dialect === 'sqlite') {
      for (const table of ['audit_entries', 'audit_checkpoints', 'audit_archives']) {
        await sql
          .raw(
            `CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, 'NHAT_KY_KHONG_DUOC_SUA: ${table} is append-only'); END`,
          )
          .execute(db);
      }
      await sql
        .raw(
          `CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
           WHEN NOT EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.seq BETWEEN a.from_seq AND a.to_seq)
           BEGIN SELECT RAISE(ABORT, 'NHAT_KY_KHONG_DUOC_XOA: audit_entries rows leave only through a recorded archive'); END`,
        )
        .execute(db);
      for (const table of ['audit_checkpoints', 'audit_archives']) {
        await sql
          .raw(`CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'NHAT_KY_KHONG_DUOC_XOA: ${table} is append-only'); END`)
          .execute(db);
      }
    } else {
      await sql
        .raw(
          `CREATE OR REPLACE FUNCTION ndxp_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_entries'
                AND coalesce(current_setting('ndxp.audit_archiver', true), '') = 'on'
                AND EXISTS (SELECT 1 FROM audit_archives a WHERE OLD.seq BETWEEN a.from_seq AND a.to_seq) THEN
               RETURN OLD;
             END IF;
             RAISE EXCEPTION 'NHAT_KY_KHONG_DUOC_SUA: % on % refused, the audit trail is append-only', TG_OP, TG_TABLE_NAME
               USING ERRCODE = 'insufficient_privilege';
           END $$`,
        )
        .execute(db);
      for (const table of ['audit_entries', 'audit_checkpoints', 'audit_archives']) {
        await sql
          .raw(`CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ndxp_audit_refuse_change()`)
          .execute(db);
        // TRUNCATE bypasses row triggers; refuse it too.
        await sql
          .raw(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ndxp_audit_refuse_change()`)
          .execute(db);
      }
    }
  },
};
