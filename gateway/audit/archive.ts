/**
 * Retention: entries older than `audit.retentionDays` move from the live trail into archive
 * files under `<dataDir>/audit-archive/` (bundle format, gzip), each ending at a signed
 * checkpoint and starting with the hash of the entry before it, so the files and the live trail
 * chain into one history (`verifyChain(store, {archives})`).
 *
 * Order of work, so no entry is ever lost: write the file (exclusive create) → verify it from
 * disk → fsync → in one transaction under the audit write lock: insert the insert-only
 * `audit_archives` row, then delete the covered entries and their search refs. The DELETE
 * trigger lets a row go only when an `audit_archives` row covers it (PostgreSQL additionally
 * requires the transaction-local setting `ndxp.audit_archiver = on`); see migration 004.
 */
import { mkdirSync, openSync, fsyncSync, closeSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Config } from '../../config/config.js';
import type { Store } from '../../core/store/db.js';
import { withWriteLock } from '../../core/store/db.js';
import type { Logger } from '../../core/log.js';
import type { AuditSigningIdentity } from './chain.js';
import type { AuditSink } from '../../core/audit-sink.js';
import { verifyBundle } from './bundle.js';
import { exportBundle } from './verify.js';

export interface ArchiveResult {
  cutoff: number;
  files: { file: string; firstSeq: number; lastSeq: number; entries: number; sha256: string }[];
  /** Why nothing (more) was archived, when that is the case. */
  note?: string;
}

export function archiveDir(config: Pick<Config, 'dataDir' | 'audit'>): string {
  return config.audit.archiveDir ? path.resolve(config.audit.archiveDir) : path.join(config.dataDir, 'audit-archive');
}

/** The archive files present, for `verifyChain(store, {archives})`. */
export function listArchiveFiles(config: Pick<Config, 'dataDir' | 'audit'>): string[] {
  const dir = archiveDir(config);
  try {
    return readdirSync(dir)
      .filter((f) => /^audit-\d+-\d+\.jsonl(\.gz)?$/.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  } catch {
    return [];
  }
}

export interface RetentionSchedule {
  stop(): void;
}

/**
 * Applies retention every `audit.archiveIntervalMs` in a running gateway (first run after a
 * random delay of up to a minute, so nodes started together do not race). Two nodes racing
 * anyway is harmless: file names are created exclusively and the archive bookkeeping row is
 * unique per range, so the loser fails, logs, and leaves the trail untouched.
 */
export function scheduleRetention(
  ctx: { store: Store; config: Config; log: Logger; nodeName: string; audit: AuditSink },
  signer: () => Promise<AuditSigningIdentity | undefined>,
  options: { initialDelayMs?: number; now?: () => number } = {},
): RetentionSchedule {
  const every = ctx.config.audit.archiveIntervalMs;
  if (!every) return { stop() {} };
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const res = await runRetention({ store: ctx.store, config: ctx.config, log: ctx.log, nodeName: ctx.nodeName, signer: await signer().catch(() => undefined), now: options.now?.() });
      if (res.files.length) {
        ctx.audit.record({ kind: 'admin', actor: 'system:retention', operation: 'audit.archive', outcome: 'ok', details: { files: res.files.map((f) => path.basename(f.file)) } });
      }
    } catch (err) {
      ctx.log.error('Lưu trữ nhật ký kiểm toán theo thời hạn thất bại', { err: err as Error });
      ctx.audit.record({ kind: 'admin', actor: 'system:retention', operation: 'audit.archive', outcome: 'failed', code: 'LUU_TRU_NHAT_KY_THAT_BAI' });
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void tick(), options.initialDelayMs ?? Math.floor(Math.random() * 60_000));
  const timer = setInterval(() => void tick(), every);
  first.unref();
  timer.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}

export interface RetentionDeps {
  store: Store;
  config: Config;
  log: Logger;
  nodeName: string;
  signer?: AuditSigningIdentity;
  now?: number;
  /** Entries per archive file (default 200,000). */
  maxEntriesPerFile?: number;
}

export async function runRetention(deps: RetentionDeps): Promise<ArchiveResult> {
  const { store, config } = deps;
  const now = deps.now ?? Date.now();
  const cutoff = now - config.audit.retentionDays * 86_400_000;
  const dir = archiveDir(config);
  mkdirSync(dir, { recursive: true });
  const result: ArchiveResult = { cutoff, files: [] };
  const perFile = deps.maxEntriesPerFile ?? 200_000;
  const db = store.db;

  for (;;) {
    const first = await db.selectFrom('audit_entries').select((eb) => eb.fn.min('seq').as('s')).executeTakeFirst();
    if (first?.s == null) {
      result.note ??= 'no live entries';
      break;
    }
    const firstSeq = Number(first.s);
    // The contiguous prefix older than the cutoff …
    const young = await db.selectFrom('audit_entries').select((eb) => eb.fn.min('seq').as('s')).where('at', '>=', cutoff).executeTakeFirst();
    const head = await db.selectFrom('audit_head').select('last_seq').where('id', '=', 1).executeTakeFirstOrThrow();
    const oldEnd = young?.s == null ? Number(head.last_seq) : Number(young.s) - 1;
    if (oldEnd < firstSeq) {
      result.note ??= 'nothing older than the retention period';
      break;
    }
    // … cut at a signed checkpoint, so every archive file ends covered by a signature.
    const cp = await db
      .selectFrom('audit_checkpoints')
      .select('seq')
      .where('seq', '>=', firstSeq)
      .where('seq', '<=', Math.min(oldEnd, firstSeq + perFile - 1))
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!cp) {
      result.note ??= `entries ${firstSeq}..${oldEnd} are old enough but no checkpoint covers them yet`;
      break;
    }
    const lastSeq = Number(cp.seq);
    const name = `audit-${String(firstSeq).padStart(12, '0')}-${String(lastSeq).padStart(12, '0')}.jsonl.gz`;
    const file = path.join(dir, name);
    const written = await exportBundle(store, { fromSeq: firstSeq, toSeq: lastSeq, out: file, signer: deps.signer, extendToCheckpoint: false, purpose: 'archive', node: deps.nodeName });
    const fd = openSync(file, 'r');
    fsyncSync(fd);
    closeSync(fd);
    const check = await verifyBundle(file, {});
    if (!check.ok || check.entries !== lastSeq - firstSeq + 1) {
      rmSync(file, { force: true });
      throw new Error(`archive ${name} did not verify after writing: ${check.problem?.message ?? 'entry count mismatch'}; the live trail is left untouched (run "ndxp audit verify")`);
    }
    await withWriteLock(store, 'audit', async (trx) => {
      if (store.dialect === 'postgres') await sql`select set_config('ndxp.audit_archiver', 'on', true)`.execute(trx);
      await trx
        .insertInto('audit_archives')
        .values({
          from_seq: firstSeq,
          to_seq: lastSeq,
          file: name,
          file_sha256: written.sha256,
          first_prev_hash: check.prevHash ?? '',
          last_hash: written.lastHash,
          entry_count: written.entries,
          created_at: Date.now(),
          node: deps.nodeName,
        })
        .execute();
      await trx.deleteFrom('audit_refs').where('seq', '>=', firstSeq).where('seq', '<=', lastSeq).execute();
      await trx.deleteFrom('audit_entries').where('seq', '>=', firstSeq).where('seq', '<=', lastSeq).execute();
    });
    deps.log.info('Đã lưu trữ các mục nhật ký kiểm toán', { file: name, firstSeq, lastSeq, entries: written.entries });
    result.files.push({ file, firstSeq, lastSeq, entries: written.entries, sha256: written.sha256 });
    if (lastSeq >= oldEnd) break;
  }
  return result;
}
