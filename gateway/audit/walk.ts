/**
 * The chain walker shared by `verifyChain` (live store) and `verifyBundle` (a file on an
 * auditor's machine). It takes entries in seq order and reports the FIRST problem with its
 * position, classified so an auditor knows what to look for:
 *
 * - removed:   a seq is missing (gap), or entries were renumbered to close a gap, or the tail
 *              is shorter than the head / a checkpoint says;
 * - changed:   an entry's content no longer matches its hash, or its hash was recomputed (the
 *              next entry no longer chains to it, or a signed checkpoint disagrees);
 * - inserted:  an entry that does not belong to the chain sits at this position (the next entry
 *              chains past it, or nothing chains to it at all), or entries exist beyond the head;
 * - reordered: a genuine entry of this chain sits at the wrong position (it chains to entries
 *              elsewhere, and its rightful successor is found elsewhere);
 * - checkpoint: a checkpoint's signature is invalid or its signer is not trusted.
 */
import { X509Certificate } from 'node:crypto';
import { certFingerprint, entryHash, verifyCheckpointSignature, type ChainEntry, type CheckpointRecord } from './chain.js';

export type ProblemKind = 'changed' | 'removed' | 'inserted' | 'reordered' | 'checkpoint' | 'archive' | 'bundle';

export interface ChainProblem {
  kind: ProblemKind;
  /** Position (seq) at which the problem is located. */
  seq: number;
  /** Stable machine code. */
  code: string;
  /** Vietnamese, for the auditor. */
  message: string;
  detail?: string;
}

export const PROBLEM_CODES: Record<ProblemKind, string> = {
  changed: 'NHAT_KY_BI_SUA',
  removed: 'NHAT_KY_BI_XOA',
  inserted: 'NHAT_KY_BI_CHEN',
  reordered: 'NHAT_KY_SAI_THU_TU',
  checkpoint: 'DIEM_KIEM_TRA_KHONG_HOP_LE',
  archive: 'TEP_LUU_TRU_KHONG_KHOP',
  bundle: 'GOI_XUAT_KHONG_HOP_LE',
};

export function problem(kind: ProblemKind, seq: number, message: string, detail?: string): ChainProblem {
  return { kind, seq, code: PROBLEM_CODES[kind], message, ...(detail ? { detail } : {}) };
}

/** Lookups used only to classify a break (never on the happy path). */
export interface ChainLookup {
  /** Seqs of entries whose prev_hash is h. */
  withPrevHash(h: string): Promise<number[]>;
  /** Seqs of entries whose hash is h. */
  withHash(h: string): Promise<number[]>;
}

export interface SignerInfo {
  fingerprint: string;
  subject: string;
  issuer: string;
  notAfter: string;
  checkpoints: number;
  trusted: boolean;
}

export interface Trust {
  /** CA certificates (PEM) a signing certificate may be issued by. */
  caPems?: string[];
  /** SHA-256 fingerprints (hex) of signing certificates accepted as they are. */
  fingerprints?: string[];
}

export interface WalkInput {
  entries: AsyncIterable<ChainEntry>;
  startSeq: number;
  startPrevHash: string;
  /** Last seq that must be present (head, or the end of the range). */
  endSeq: number;
  checkpoints: CheckpointRecord[];
  lookup: ChainLookup;
  /** When given, every checkpoint signer must be trusted by it. */
  trust?: Trust;
}

export interface WalkResult {
  ok: boolean;
  problem?: ChainProblem;
  entries: number;
  firstSeq?: number;
  lastSeq?: number;
  lastHash: string;
  checkpointsVerified: number;
  lastCheckpointSeq?: number;
  signers: SignerInfo[];
}

export function signerTrusted(der: string, trust: Trust | undefined): boolean {
  if (!trust) return true;
  const fp = certFingerprint(der);
  if (trust.fingerprints?.some((f) => f.replace(/:/g, '').toUpperCase() === fp)) return true;
  try {
    const cert = new X509Certificate(Buffer.from(der, 'base64'));
    for (const pem of trust.caPems ?? []) {
      const ca = new X509Certificate(pem);
      if (cert.checkIssued(ca) && cert.verify(ca.publicKey)) return true;
    }
  } catch {
    return false;
  }
  return false;
}

export async function walkChain(input: WalkInput): Promise<WalkResult> {
  const cps = new Map(input.checkpoints.map((c) => [Number(c.seq), c]));
  const signers = new Map<string, SignerInfo>();
  const result: WalkResult = { ok: true, entries: 0, lastHash: input.startPrevHash, checkpointsVerified: 0, signers: [] };
  const fail = (p: ChainProblem): WalkResult => ({ ...result, ok: false, problem: p, signers: [...signers.values()] });

  // Checkpoint signatures first: a forged checkpoint must not be used to vouch for anything.
  for (const c of input.checkpoints) {
    const fp = certFingerprint(c.cert_der);
    let info = signers.get(fp);
    if (!info) {
      let subject = '?';
      let issuer = '?';
      let notAfter = '?';
      try {
        const x = new X509Certificate(Buffer.from(c.cert_der, 'base64'));
        subject = x.subject.replace(/\n/g, ', ');
        issuer = x.issuer.replace(/\n/g, ', ');
        notAfter = new Date(x.validTo).toISOString();
      } catch {
        /* reported below as an invalid signature */
      }
      info = { fingerprint: fp, subject, issuer, notAfter, checkpoints: 0, trusted: signerTrusted(c.cert_der, input.trust) };
      signers.set(fp, info);
    }
    info.checkpoints++;
    if (!verifyCheckpointSignature(c)) {
      return fail(problem('checkpoint', Number(c.seq), `Chữ ký của điểm kiểm tra tại vị trí ${c.seq} không hợp lệ (điểm kiểm tra bị sửa hoặc giả mạo)`));
    }
    if (!info.trusted) {
      return fail(problem('checkpoint', Number(c.seq), `Điểm kiểm tra tại vị trí ${c.seq} được ký bởi chứng thư không tin cậy (${info.subject})`, `fingerprint ${fp}`));
    }
  }

  let expected = input.startSeq;
  let prevHash = input.startPrevHash;
  let prev: ChainEntry | undefined;
  let lastGoodCheckpoint = input.startSeq - 1;

  for await (const raw of input.entries) {
    const r = raw;
    const seq = Number(r.seq);
    if (result.firstSeq === undefined) result.firstSeq = seq;
    if (seq < expected) {
      return fail(problem('inserted', seq, `Vị trí ${seq} xuất hiện hai lần hoặc sai thứ tự lưu trữ`));
    }
    if (seq > expected) {
      return fail(problem('removed', expected, `Bản ghi nhật ký tại vị trí ${expected} đã bị xóa${seq > expected + 1 ? ` (thiếu từ ${expected} đến ${seq - 1})` : ''}`));
    }
    const selfOk = entryHash(r as unknown as Record<string, unknown>, r.prev_hash) === r.hash;
    if (r.prev_hash !== prevHash) {
      if (prev && r.prev_hash === prev.prev_hash) {
        return fail(problem('inserted', Number(prev.seq), `Bản ghi tại vị trí ${prev.seq} đã bị chèn thêm (bản ghi kế tiếp nối thẳng vào bản ghi trước nó)`));
      }
      const rightfulSuccessors = (await input.lookup.withPrevHash(prevHash)).filter((s) => s !== seq);
      const chainsOut = (await input.lookup.withPrevHash(r.hash)).filter((s) => s !== seq);
      const chainsIn = (await input.lookup.withHash(r.prev_hash)).filter((s) => s !== seq);
      if (rightfulSuccessors.length > 0 || chainsIn.length > 0) {
        if (chainsOut.length > 0 || chainsIn.length > 0) {
          const where = rightfulSuccessors.length ? ` (bản ghi đúng của vị trí này đang nằm ở vị trí ${rightfulSuccessors[0]})` : '';
          return fail(problem('reordered', seq, `Thứ tự nhật ký bị đảo tại vị trí ${seq}${where}`));
        }
        return fail(problem('inserted', seq, `Bản ghi tại vị trí ${seq} không thuộc chuỗi nhật ký (bị chèn thêm)`));
      }
      if (!prev) {
        return fail(problem('removed', seq - 1 >= 1 ? seq - 1 : seq, `Bản ghi đầu tiên (vị trí ${seq}) không nối vào bản ghi trước nó: bản ghi trước đã bị xóa hoặc sửa`));
      }
      if (selfOk) {
        return fail(problem('changed', Number(prev.seq), `Bản ghi nhật ký tại vị trí ${prev.seq} đã bị sửa (mã băm được tính lại, bản ghi sau không còn khớp)`));
      }
      return fail(problem('removed', seq, `Bản ghi nhật ký tại vị trí ${seq} đã bị xóa (các bản ghi sau bị đánh số lại)`));
    }
    if (!selfOk) {
      // A forged entry that names the right predecessor but whose rightful successor sits elsewhere was inserted.
      const rightful = (await input.lookup.withPrevHash(prevHash)).filter((s) => s !== seq);
      if (rightful.length > 0) {
        return fail(problem('inserted', seq, `Bản ghi tại vị trí ${seq} không thuộc chuỗi nhật ký (bị chèn thêm)`));
      }
      return fail(problem('changed', seq, `Bản ghi nhật ký tại vị trí ${seq} đã bị sửa (nội dung không khớp mã băm)`));
    }
    const cp = cps.get(seq);
    if (cp) {
      if (cp.chain_hash !== r.hash) {
        return fail(
          problem(
            'changed',
            seq,
            `Chuỗi nhật ký từ vị trí ${lastGoodCheckpoint + 1} đến ${seq} đã bị viết lại (không khớp điểm kiểm tra đã ký tại vị trí ${seq})`,
          ),
        );
      }
      result.checkpointsVerified++;
      result.lastCheckpointSeq = seq;
      lastGoodCheckpoint = seq;
    }
    result.entries++;
    result.lastSeq = seq;
    prevHash = r.hash;
    result.lastHash = r.hash;
    prev = r;
    expected = seq + 1;
  }
  if (expected <= input.endSeq) {
    return fail(problem('removed', expected, `Bản ghi nhật ký từ vị trí ${expected} đến ${input.endSeq} đã bị xóa (cuối chuỗi ngắn hơn ghi nhận)`));
  }
  for (const c of input.checkpoints) {
    if (Number(c.seq) >= input.startSeq && Number(c.seq) > (result.lastSeq ?? input.startSeq - 1) && Number(c.seq) <= input.endSeq) {
      return fail(problem('removed', Number(c.seq), `Điểm kiểm tra tại vị trí ${c.seq} không có bản ghi tương ứng`));
    }
  }
  result.signers = [...signers.values()];
  return result;
}
