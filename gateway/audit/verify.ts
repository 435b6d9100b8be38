/**
 * Verification and export of the live trail (store-backed): `verifyChain` walks entries and
 * checkpoints (optionally preceded by the retention archive files, so archive + live trail verify
 * as one history) and reports the first problem with its position; `exportBundle` writes the
 * self-contained file an auditor checks elsewhere with `verifyBundle`.
 *
 * Time ranges map to seq ranges: first = the lowest seq with at >= from, last = the highest seq
 * with at <= to. The chain is by seq, so everything in between is verified/exported even if a
 * caller-supplied `at` of an entry lies slightly outside the range.
 */
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Store } from '../../core/store/db.js';
import type { DB } from '../../core/store/schema.js';
import { GENESIS_HASH, type AuditSigningIdentity, type ChainEntry, type CheckpointRecord } from './chain.js';
import { problem, walkChain, type ChainProblem, type SignerInfo, type Trust } from './walk.js';
import { bundleEntry, pemToDer, verifyBundle, writeBundle, type BundleVerification, type WrittenBundle } from './bundle.js';
import { certFingerprint } from './chain.js';

export interface ChainVerification {
  ok: boolean;
  problem?: ChainProblem;
  firstSeq?: number;
  lastSeq?: number;
  entries: number;
  checkpointsVerified: number;
  lastCheckpointSeq?: number;
  /** Entries of the range after the last checkpoint: chained, not yet signed. */
  entriesAfterLastCheckpoint: number;
  headSeq: number;
  signers: SignerInfo[];
  archives: { file: string; ok: boolean; firstSeq?: number; lastSeq?: number; entries: number; problem?: ChainProblem }[];
  /** Archived seq ranges not checked because their files were not given. */
  archivedNotChecked?: { fromSeq: number; toSeq: number };
  trustedCas: string[];
}

export interface VerifyOptions {
  from?: number;
  to?: number;
  /** Archive files to verify first and link to the live trail (all of them, any order). */
  archives?: string[];
  /** Checkpoint signers must be trusted by this; default: the gateway's own CA certificates from the store. */
  trust?: Trust;
}

/**
 * CA certificates of the gateway's PKI: the current root and issuing CA (certs area's
 * pki_identities) and every CA certificate it ever recorded (certificates, kind 'ca'), so
 * checkpoints signed before a PKI re-initialisation still verify and still ship their CA.
 */
export async function gatewayCaPems(store: Store): Promise<string[]> {
  const pems: string[] = [];
  const db = store.db as Kysely<any>;
  try {
    const rows = await db.selectFrom('pki_identities').select(['name', 'cert_pem']).where('name', 'in', ['issuing-ca', 'root-ca']).execute();
    pems.push(...rows.map((r: { cert_pem: string }) => r.cert_pem));
  } catch {
    /* PKI tables not there: no gateway CA */
  }
  try {
    const rows = await db.selectFrom('certificates').select(['pem']).where('kind', '=', 'ca').execute();
    pems.push(...rows.map((r: { pem: string }) => r.pem));
  } catch {
    /* idem */
  }
  const seen = new Set<string>();
  return pems.filter((p) => {
    const fp = certFingerprint(pemToDer(p));
    if (seen.has(fp)) return false;
    seen.add(fp);
    return true;
  });
}

async function defaultTrust(store: Store): Promise<Trust | undefined> {
  const cas = await gatewayCaPems(store);
  return cas.length ? { caPems: cas } : undefined;
}

/** Entries of the store in seq order, paged. */
async function* storeEntries(db: Kysely<DB>, fromSeq: number, toSeq: number, page = 1000): AsyncGenerator<ChainEntry> {
  let cursor = fromSeq - 1;
  for (;;) {
    const rows = await db.selectFrom('audit_entries').selectAll().where('seq', '>', cursor).where('seq', '<=', toSeq).orderBy('seq').limit(page).execute();
    for (const r of rows) yield bundleEntry(r as unknown as Record<string, unknown>);
    if (rows.length < page) return;
    cursor = Number(rows[rows.length - 1].seq);
  }
}

function storeLookup(db: Kysely<DB>) {
  return {
    withPrevHash: async (h: string) => (await db.selectFrom('audit_entries').select('seq').where('prev_hash', '=', h).execute()).map((r) => Number(r.seq)),
    withHash: async (h: string) => (await db.selectFrom('audit_entries').select('seq').where('hash', '=', h).execute()).map((r) => Number(r.seq)),
  };
}

export async function resolveSeqRange(store: Store, from?: number, to?: number): Promise<{ firstSeq?: number; lastSeq?: number }> {
  const db = store.db;
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  if (from !== undefined) {
    const r = await db.selectFrom('audit_entries').select((eb) => eb.fn.min('seq').as('s')).where('at', '>=', from).executeTakeFirst();
    firstSeq = r?.s == null ? undefined : Number(r.s);
  } else {
    const r = await db.selectFrom('audit_entries').select((eb) => eb.fn.min('seq').as('s')).executeTakeFirst();
    firstSeq = r?.s == null ? undefined : Number(r.s);
  }
  if (to !== undefined) {
    const r = await db.selectFrom('audit_entries').select((eb) => eb.fn.max('seq').as('s')).where('at', '<=', to).executeTakeFirst();
    lastSeq = r?.s == null ? undefined : Number(r.s);
  } else {
    const head = await db.selectFrom('audit_head').select('last_seq').where('id', '=', 1).executeTakeFirstOrThrow();
    lastSeq = Number(head.last_seq);
  }
  return { firstSeq, lastSeq };
}

function toCheckpoint(r: Record<string, unknown>): CheckpointRecord {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    entry_count: Number(r.entry_count),
    chain_hash: String(r.chain_hash),
    node: String(r.node),
    alg: String(r.alg),
    signature: String(r.signature),
    cert_der: String(r.cert_der),
  };
}

export async function verifyChain(store: Store, options: VerifyOptions = {}): Promise<ChainVerification> {
  const db = store.db;
  const trust = options.trust ?? (await defaultTrust(store));
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  const headSeq = Number(head.last_seq);
  const book = await db.selectFrom('audit_archives').selectAll().orderBy('from_seq').execute();
  const out: ChainVerification = {
    ok: false,
    entries: 0,
    checkpointsVerified: 0,
    entriesAfterLastCheckpoint: 0,
    headSeq,
    signers: [],
    archives: [],
    trustedCas: (trust?.caPems ?? []).map((p) => certFingerprint(pemToDer(p))),
  };
  const fail = (p: ChainProblem): ChainVerification => ({ ...out, ok: false, problem: p });
  const ranged = options.from !== undefined || options.to !== undefined;
  const archivedTo = book.length ? Number(book[book.length - 1].to_seq) : 0;

  // 1. Archives (full-history verification only).
  let startSeq: number;
  let startPrev: string;
  if (!ranged) {
    startSeq = archivedTo + 1;
    startPrev = book.length ? book[book.length - 1].last_hash : GENESIS_HASH;
    if (options.archives) {
      const checked: BundleVerification[] = [];
      for (const file of options.archives) checked.push(await verifyBundle(file, { caPems: trust?.caPems, signerFingerprints: trust?.fingerprints }));
      checked.sort((a, b) => (a.firstSeq ?? 0) - (b.firstSeq ?? 0));
      out.archives = checked.map((c) => ({ file: c.file, ok: c.ok, firstSeq: c.firstSeq, lastSeq: c.lastSeq, entries: c.entries, problem: c.problem }));
      const bad = checked.find((c) => !c.ok);
      if (bad) return fail({ ...bad.problem!, kind: bad.problem!.kind, message: `${path.basename(bad.file)}: ${bad.problem!.message}` });
      let expectSeq = 1;
      let expectHash = GENESIS_HASH;
      for (const c of checked) {
        if (c.purpose !== 'archive') return fail(problem('archive', c.firstSeq ?? 0, `${path.basename(c.file)} không phải tệp lưu trữ nhật ký`));
        if (c.firstSeq !== expectSeq || c.prevHash !== expectHash) {
          return fail(problem(c.firstSeq! > expectSeq ? 'removed' : 'archive', expectSeq, `Các tệp lưu trữ không nối liền tại vị trí ${expectSeq} (${path.basename(c.file)})`));
        }
        const row = book.find((b) => b.file === path.basename(c.file));
        if (row && (Number(row.from_seq) !== c.firstSeq || Number(row.to_seq) !== c.lastSeq || row.last_hash !== c.lastHash)) {
          return fail(problem('archive', c.firstSeq!, `${path.basename(c.file)} không khớp sổ ghi lưu trữ trong CSDL`));
        }
        expectSeq = c.lastSeq! + 1;
        expectHash = c.lastHash!;
      }
      if (expectSeq !== startSeq || expectHash !== startPrev) {
        return fail(problem('archive', expectSeq, `Thiếu tệp lưu trữ: các tệp đã cho dừng ở vị trí ${expectSeq - 1}, CSDL ghi nhận lưu trữ đến ${archivedTo}`));
      }
    } else if (archivedTo > 0) {
      out.archivedNotChecked = { fromSeq: 1, toSeq: archivedTo };
    }
  } else {
    const { firstSeq } = await resolveSeqRange(store, options.from, options.to);
    startSeq = firstSeq ?? headSeq + 1;
    if (startSeq <= 1) startPrev = GENESIS_HASH;
    else {
      const before = await db.selectFrom('audit_entries').select('hash').where('seq', '=', startSeq - 1).executeTakeFirst();
      const archived = book.find((b) => Number(b.to_seq) === startSeq - 1);
      if (before) startPrev = before.hash;
      else if (archived) startPrev = archived.last_hash;
      else if (startSeq - 1 <= archivedTo) startPrev = ''; // cannot happen for a contiguous archive; walked as unknown
      else return fail(problem('removed', startSeq - 1, `Bản ghi nhật ký tại vị trí ${startSeq - 1} đã bị xóa`));
    }
  }

  const endSeq = options.to !== undefined ? ((await resolveSeqRange(store, undefined, options.to)).lastSeq ?? 0) : headSeq;
  const checkpoints = (await db.selectFrom('audit_checkpoints').selectAll().where('seq', '>=', startSeq).where('seq', '<=', endSeq).orderBy('seq').execute()).map((r) =>
    toCheckpoint(r as unknown as Record<string, unknown>),
  );
  const walk = await walkChain({
    entries: storeEntries(db, startSeq, endSeq),
    startSeq,
    startPrevHash: startPrev,
    endSeq,
    checkpoints,
    lookup: storeLookup(db),
    trust,
  });
  out.firstSeq = walk.firstSeq;
  out.lastSeq = walk.lastSeq;
  out.entries = walk.entries;
  out.checkpointsVerified = walk.checkpointsVerified;
  out.lastCheckpointSeq = walk.lastCheckpointSeq;
  out.signers = walk.signers;
  out.entriesAfterLastCheckpoint = walk.lastSeq !== undefined ? walk.lastSeq - (walk.lastCheckpointSeq ?? startSeq - 1) : 0;
  if (!walk.ok) return fail(walk.problem!);

  if (options.to === undefined) {
    // The tail: the head must name the last entry, nothing may sit beyond it, no checkpoint may lie beyond it.
    if (headSeq > 0 && walk.lastSeq === headSeq && walk.lastHash !== head.last_hash) {
      return fail(problem('changed', headSeq, `Bản ghi nhật ký tại vị trí ${headSeq} đã bị sửa (không khớp mã băm đầu chuỗi)`));
    }
    const beyond = await db
      .selectFrom('audit_entries')
      .select('seq')
      .where('seq', '>', (eb) => eb.selectFrom('audit_head').select('last_seq').where('id', '=', 1))
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    if (beyond) return fail(problem('inserted', Number(beyond.seq), `Bản ghi tại vị trí ${beyond.seq} bị chèn thêm sau cuối chuỗi`));
    // One statement against the current head: appends committed while we walked are not "beyond".
    const cpBeyond = await db
      .selectFrom('audit_checkpoints')
      .select('seq')
      .where('seq', '>', (eb) => eb.selectFrom('audit_head').select('last_seq').where('id', '=', 1))
      .limit(1)
      .executeTakeFirst();
    if (cpBeyond) return fail(problem('removed', headSeq + 1, `Các bản ghi từ vị trí ${headSeq + 1} đến ${cpBeyond.seq} đã bị xóa (có điểm kiểm tra đã ký tại ${cpBeyond.seq})`));
  }
  out.ok = true;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Export

export interface ExportOptions {
  from?: number;
  to?: number;
  /** Or an explicit seq range (the archiver uses this). */
  fromSeq?: number;
  toSeq?: number;
  out: string;
  /** Signs the bundle trailer. */
  signer?: AuditSigningIdentity;
  /** CA certificates to ship with the bundle (default: the gateway's CA from the store). */
  caPems?: string[];
  /** Extend the range to the next checkpoint so every exported entry is covered by a signature (default true). */
  extendToCheckpoint?: boolean;
  purpose?: 'export' | 'archive';
  node?: string;
}

export async function exportBundle(store: Store, options: ExportOptions): Promise<WrittenBundle & { requestedLastSeq?: number }> {
  const db = store.db;
  let firstSeq = options.fromSeq;
  let lastSeq = options.toSeq;
  if (firstSeq === undefined || lastSeq === undefined) {
    const r = await resolveSeqRange(store, options.from, options.to);
    firstSeq ??= r.firstSeq;
    lastSeq ??= r.lastSeq;
  }
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  if (firstSeq === undefined || lastSeq === undefined || lastSeq < firstSeq) {
    // Nothing in range: an empty bundle anchored at the head is still a verifiable statement.
    firstSeq = Number(head.last_seq) + 1;
    lastSeq = Number(head.last_seq);
  }
  const requestedLastSeq = lastSeq;
  if (options.extendToCheckpoint !== false && lastSeq >= firstSeq) {
    const next = await db.selectFrom('audit_checkpoints').select('seq').where('seq', '>=', lastSeq).orderBy('seq').limit(1).executeTakeFirst();
    if (next) lastSeq = Number(next.seq);
  }
  const checkpoints = (await db.selectFrom('audit_checkpoints').selectAll().where('seq', '>=', firstSeq).where('seq', '<=', lastSeq).orderBy('seq').execute()).map((r) =>
    toCheckpoint(r as unknown as Record<string, unknown>),
  );
  const anchorRow = firstSeq > 1 ? await db.selectFrom('audit_entries').selectAll().where('seq', '=', firstSeq - 1).executeTakeFirst() : undefined;
  let prevHash = GENESIS_HASH;
  if (firstSeq > 1) {
    if (anchorRow) prevHash = anchorRow.hash;
    else {
      const archived = await db.selectFrom('audit_archives').select('last_hash').where('to_seq', '=', firstSeq - 1).executeTakeFirst();
      const first = await db.selectFrom('audit_entries').select('prev_hash').where('seq', '=', firstSeq).executeTakeFirst();
      prevHash = archived?.last_hash ?? first?.prev_hash ?? head.last_hash;
    }
  }
  const caPems = options.caPems ?? (await gatewayCaPems(store));
  const certs = new Map<string, { role: 'signing' | 'ca'; der: string; fingerprint: string }>();
  for (const c of checkpoints) certs.set(certFingerprint(c.cert_der), { role: 'signing', der: c.cert_der, fingerprint: certFingerprint(c.cert_der) });
  if (options.signer) certs.set(certFingerprint(options.signer.certDerBase64), { role: 'signing', der: options.signer.certDerBase64, fingerprint: certFingerprint(options.signer.certDerBase64) });
  for (const pem of caPems) {
    const der = pemToDer(pem);
    certs.set(certFingerprint(der), { role: 'ca', der, fingerprint: certFingerprint(der) });
  }
  const written = await writeBundle({
    file: options.out,
    header: {
      purpose: options.purpose ?? 'export',
      createdAt: Date.now(),
      node: options.node ?? 'unknown',
      requested: { from: options.from ?? null, to: options.to ?? null },
      firstSeq,
      lastSeq,
      prevHash,
      certificates: [...certs.values()],
    },
    checkpoints,
    anchor: anchorRow ? bundleEntry(anchorRow as unknown as Record<string, unknown>) : undefined,
    entries: storeEntries(db, firstSeq, lastSeq),
    signer: options.signer,
  });
  return { ...written, requestedLastSeq };
}
