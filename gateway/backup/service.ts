/**
 * Backup and restore of a whole gateway: every table of the store (keys, certificates and the
 * encrypted private keys, trust anchors, unit rules and tree, settings, outbox, audit trail with
 * its checkpoints) read in ONE transaction, so the copy is consistent while the gateway runs, and
 * the master key those private keys and digests depend on (or, when it comes from NDXP_MASTER_KEY,
 * a fingerprint the restore checks). The file is sealed with a passphrase (crypto.ts).
 *
 * The tables are found in the store itself, not listed here: a table an area adds later is backed
 * up without touching this file. Restore writes into an empty store (a fresh data directory or
 * PostgreSQL schema) with the gateway stopped, then bumps every change-propagation area.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../../config/config.js';
import type { AppContext } from '../../core/context.js';
import { masterKey, masterKeyFile } from '../../core/secrets.js';
import { openStore, type Store } from '../../core/store/db.js';
import { bumpRevision, type Area } from '../../core/store/revisions.js';
import { BackupError } from './crypto.js';

export const BACKUP_FORMAT = 'ndxp-backup';
export const BACKUP_VERSION = 1;

/** Not data: the restoring software's own migrations create and record these. */
const SKIPPED_TABLES = new Set(['schema_migrations']);
/** Tables whose rows make a store "in use": restore refuses to write over them. */
const CONTENT_TABLES = ['connection_keys', 'certificates', 'pki_identities', 'audit_entries', 'outbox'];
const AREAS: Area[] = ['certs', 'keys', 'trust', 'units', 'ratelimit'];

type Row = Record<string, unknown>;

export interface BackupPayload {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  node: string;
  backend: Store['dialect'];
  migrations: string[];
  masterKey: { source: 'file'; value: string; fingerprint: string } | { source: 'environment'; fingerprint: string };
  tables: Record<string, Row[]>;
}

export interface BackupSummary {
  createdAt: string;
  backend: string;
  masterKey: 'file' | 'environment';
  rows: Record<string, number>;
}

/** Identifies a master key without revealing it (the restore compares it with the target's). */
function fingerprint(key: Buffer): string {
  return createHash('sha256').update('ndxp master key fingerprint\u0000').update(key).digest('hex').slice(0, 32);
}

async function tableNames(store: Store, config: Pick<Config, 'databaseSchema'>): Promise<string[]> {
  const tables = await store.db.introspection.getTables();
  const schema = store.dialect === 'postgres' ? (config.databaseSchema ?? 'public') : undefined;
  return tables
    .filter((t) => !t.isView && (schema === undefined || t.schema === schema))
    .map((t) => t.name)
    .filter((n) => !SKIPPED_TABLES.has(n))
    .sort();
}

async function columnsOf(store: Store, config: Pick<Config, 'databaseSchema'>): Promise<Map<string, Set<string>>> {
  const schema = store.dialect === 'postgres' ? (config.databaseSchema ?? 'public') : undefined;
  const out = new Map<string, Set<string>>();
  for (const t of await store.db.introspection.getTables()) {
    if (schema === undefined || t.schema === schema) out.set(t.name, new Set(t.columns.map((c) => c.name)));
  }
  return out;
}

/** JSON keeps strings, numbers and null as they are; a binary value is marked so it comes back as bytes. */
function encodeValue(v: unknown): unknown {
  return Buffer.isBuffer(v) || v instanceof Uint8Array ? { $b64: Buffer.from(v).toString('base64') } : v;
}
function decodeValue(v: unknown): unknown {
  return v && typeof v === 'object' && '$b64' in (v as Row) ? Buffer.from(String((v as Row).$b64), 'base64') : v;
}

/** Reads the whole store in one transaction (a consistent snapshot while the gateway writes). */
export async function createBackup(ctx: AppContext): Promise<BackupPayload> {
  const { store, config } = ctx;
  const key = masterKey(config);
  const names = await tableNames(store, config);
  const read = async (db: Kysely<any>) => {
    const tables: Record<string, Row[]> = {};
    for (const name of names) {
      const rows = (await sql<Row>`select * from ${sql.table(name)}`.execute(db)).rows;
      tables[name] = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, encodeValue(v)])));
    }
    const migrations = (await sql<{ name: string }>`select name from schema_migrations order by name`.execute(db)).rows.map((r) => r.name);
    return { tables, migrations };
  };
  const trx = store.db.transaction();
  const snapshot = await (store.dialect === 'postgres' ? trx.setIsolationLevel('repeatable read') : trx).execute((db) => read(db));
  return {
    format: BACKUP_FORMAT,
    version: BACKUP_VERSION,
    createdAt: new Date().toISOString(),
    node: ctx.nodeName,
    backend: store.dialect,
    migrations: snapshot.migrations,
    masterKey: config.masterKey ? { source: 'environment', fingerprint: fingerprint(key) } : { source: 'file', value: key.toString('utf8'), fingerprint: fingerprint(key) },
    tables: snapshot.tables,
  };
}

export function summarize(payload: BackupPayload): BackupSummary {
  return {
    createdAt: payload.createdAt,
    backend: payload.backend,
    masterKey: payload.masterKey.source,
    rows: Object.fromEntries(Object.entries(payload.tables).map(([t, rows]) => [t, rows.length])),
  };
}

function checkPayload(payload: unknown): BackupPayload {
  const p = payload as BackupPayload;
  if (!p || p.format !== BACKUP_FORMAT || typeof p.tables !== 'object' || !p.masterKey) throw new BackupError('TEP_SAO_LUU_KHONG_HOP_LE', 'Nội dung tệp sao lưu không đúng định dạng ndxp-backup');
  if (p.version > BACKUP_VERSION) throw new BackupError('SAO_LUU_MOI_HON_PHAN_MEM', `Bản sao lưu định dạng ${p.version} mới hơn phần mềm này (${BACKUP_VERSION}); hãy nâng cấp ndxp-gateway trước khi khôi phục`);
  return p;
}

/**
 * Puts the master key in place before anything opens the store: the backup's own (when it came
 * from the data directory), or NDXP_MASTER_KEY, which must then be the key the backup was made with.
 */
function placeMasterKey(config: Config, payload: BackupPayload): void {
  if (config.masterKey) {
    if (fingerprint(Buffer.from(config.masterKey, 'utf8')) !== payload.masterKey.fingerprint) {
      throw new BackupError('KHOA_CHU_KHONG_KHOP', 'NDXP_MASTER_KEY khác khóa chủ của máy đã tạo bản sao lưu: khóa riêng, mã kết nối và nhật ký kiểm toán sẽ không mở được; hãy đặt đúng khóa chủ cũ');
    }
    return;
  }
  if (payload.masterKey.source !== 'file') {
    throw new BackupError('THIEU_KHOA_CHU', 'Bản sao lưu được tạo với khóa chủ từ NDXP_MASTER_KEY (không nằm trong bản sao lưu): hãy đặt NDXP_MASTER_KEY như trên máy cũ rồi khôi phục lại');
  }
  const file = masterKeyFile(config.dataDir);
  const wanted = payload.masterKey.value.trim();
  if (existsSync(file) && readFileSync(file, 'utf8').trim() !== wanted) {
    // A fresh data directory may already hold a key generated by an earlier command; the store
    // is checked for content right after, so only an unused key is ever replaced.
    writeFileSync(`${file}.before-restore`, readFileSync(file), { mode: 0o600 });
  }
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, wanted + '\n', { mode: 0o600 });
}

export interface RestoreReport {
  restoredFrom: BackupSummary;
  rows: Record<string, number>;
  skippedTables: string[];
}

/** Restores into an empty store; the gateway on that store must be stopped. */
export async function restoreBackup(config: Config, raw: unknown): Promise<RestoreReport> {
  const payload = checkPayload(raw);
  const store = await openStore(config, { migrate: false });
  try {
    // Refuse before touching anything (the master key file included) if the target is in use.
    const existing = new Set(await tableNames(store, config).catch(() => []));
    for (const t of CONTENT_TABLES) {
      if (!existing.has(t)) continue;
      const n = await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(store.db);
      if (Number(n.rows[0]?.n ?? 0) > 0) {
        throw new BackupError('KHO_DU_LIEU_KHONG_TRONG', `Kho dữ liệu đích đang có dữ liệu (bảng ${t}); chỉ khôi phục vào kho trống: một thư mục dữ liệu mới (NDXP_DATA_DIR) hoặc một schema PostgreSQL mới (NDXP_DB_SCHEMA), khi gateway đã dừng`);
      }
    }
  } finally {
    await store.close();
  }
  placeMasterKey(config, payload);
  const target = await openStore(config);
  try {
    const known = (await sql<{ name: string }>`select name from schema_migrations`.execute(target.db)).rows.map((r) => r.name);
    const unknown = payload.migrations.filter((m) => !known.includes(m));
    if (unknown.length) throw new BackupError('SAO_LUU_MOI_HON_PHAN_MEM', `Bản sao lưu có cấu trúc dữ liệu mà phần mềm này chưa biết (${unknown.join(', ')}); hãy nâng cấp ndxp-gateway trước khi khôi phục`);
    const columns = await columnsOf(target, config);
    const rows: Record<string, number> = {};
    const skippedTables: string[] = [];
    await target.db.transaction().execute(async (trx) => {
      for (const [table, data] of Object.entries(payload.tables)) {
        const cols = columns.get(table);
        if (!cols || SKIPPED_TABLES.has(table)) {
          skippedTables.push(table);
          continue;
        }
        // Rows a fresh store seeds itself (heads, revisions) are replaced by the backup's.
        await sql`delete from ${sql.table(table)}`.execute(trx);
        const values = data.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => cols.has(k)).map(([k, v]) => [k, decodeValue(v)])));
        for (let i = 0; i < values.length; i += 100) await (trx as Kysely<any>).insertInto(table).values(values.slice(i, i + 100)).execute();
        rows[table] = values.length;
        if (target.dialect === 'postgres' && cols.has('id') && values.length) {
          // Serial ids continue after the restored ones.
          await sql`select setval(pg_get_serial_sequence(${table}, 'id'), (select max(id) from ${sql.table(table)}))`.execute(trx);
        }
      }
      for (const area of AREAS) await bumpRevision(trx, area);
    });
    return { restoredFrom: summarize(payload), rows, skippedTables };
  } finally {
    await target.close();
  }
}
