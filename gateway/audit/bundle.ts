/**
 * Self-contained audit bundles: the export format an auditor verifies on another machine, and
 * the format of retention archive files. JSON Lines, optionally gzip (file name ending .gz):
 *
 *   line 1      {"type":"ndxp-audit-bundle","version":1,"purpose":"export"|"archive",
 *                "firstSeq","lastSeq","prevHash", requested range, certificates:[{role,der}], …}
 *   then        {"type":"checkpoint", …}   signed checkpoints covering entries of the range
 *   then        {"type":"anchor", …}       the entry just before the range (context only)
 *   then        {"type":"entry", …}        every entry firstSeq..lastSeq (no bodies)
 *   last line   {"type":"trailer","lines":n,"sha256":hex of every byte before this line,
 *                "alg","certDer","signature"}   (signature over "ndxp-audit-bundle/1\n"+sha256)
 *
 * `verifyBundle(file)` needs nothing from the gateway: it re-hashes the chain (chain.ts), checks
 * every checkpoint signature and that signers chain to the bundled (or auditor-supplied) CA,
 * checks the trailer digest and signature, and reports the first problem with its position.
 * Any single changed byte breaks either the JSON, an entry hash, a signature or the digest.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createGunzip, createGzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import {
  GENESIS_HASH,
  HASHED_FIELDS,
  certFingerprint,
  signPayload,
  verifyPayload,
  type AuditSigningIdentity,
  type ChainEntry,
  type CheckpointRecord,
} from './chain.js';
import { problem, signerTrusted, walkChain, type ChainProblem, type SignerInfo, type Trust } from './walk.js';

export const BUNDLE_FORMAT = 'ndxp-audit-bundle';
/** What node:zlib's gzip writes: no name, mtime 0, default level, OS unix. */
const GZIP_HEADER = '1f8b0800000000000003';

export interface BundleHeader {
  type: typeof BUNDLE_FORMAT;
  version: 1;
  purpose: 'export' | 'archive';
  createdAt: number;
  node: string;
  /** What the operator asked for (epoch ms), if a time range. */
  requested: { from: number | null; to: number | null };
  firstSeq: number;
  lastSeq: number;
  /** prev_hash of entry firstSeq: the link to earlier history (genesis when firstSeq = 1). */
  prevHash: string;
  /** Signing certificates of the checkpoints and CA certificates they chain to (base64 DER). */
  certificates: { role: 'signing' | 'ca'; der: string; fingerprint: string }[];
  /** Hash-chain definition, so a third party can re-implement verification. */
  hashing: { entry: string; fields: readonly string[]; checkpoint: string };
}

export interface BundleTrailer {
  type: 'trailer';
  lines: number;
  entries: number;
  checkpoints: number;
  sha256: string;
  alg?: string;
  certDer?: string;
  signature?: string;
}

export const HASHING_DESCRIPTION = {
  entry: 'hex(SHA-256("ndxp-audit-entry/1\\n" + prev_hash + "\\n" + canonical)), canonical = {"<field>":<JSON value or null>,...} over `fields` in this order, no spaces',
  fields: HASHED_FIELDS,
  checkpoint: 'signature over "ndxp-audit-checkpoint/1\\nseq=<seq>\\nat=<at>\\nentries=<entry_count>\\nchain=<chain_hash>\\nnode=<node>\\n" (RS256: RSASSA-PKCS1-v1_5 SHA-256; ES256: ECDSA P-256 SHA-256, r||s)',
};

export function bundleSignaturePayload(sha256: string): Buffer {
  return Buffer.from(`ndxp-audit-bundle/1\n${sha256}`, 'utf8');
}

/** Entry as written to a bundle: the hashed fields plus prev_hash and hash, nothing else. */
export function bundleEntry(row: Record<string, unknown>): ChainEntry {
  const out: Record<string, unknown> = {};
  for (const f of HASHED_FIELDS) out[f] = row[f] ?? null;
  out.prev_hash = row.prev_hash;
  out.hash = row.hash;
  return out as ChainEntry;
}

export interface WriteBundleInput {
  file: string;
  header: Omit<BundleHeader, 'type' | 'version' | 'hashing'>;
  checkpoints: CheckpointRecord[];
  anchor?: ChainEntry;
  entries: AsyncIterable<ChainEntry>;
  signer?: AuditSigningIdentity;
}

export interface WrittenBundle {
  file: string;
  sha256: string;
  entries: number;
  checkpoints: number;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  signed: boolean;
}

export async function writeBundle(input: WriteBundleInput): Promise<WrittenBundle> {
  const gz = input.file.endsWith('.gz');
  const out = createWriteStream(input.file, { flags: 'wx', mode: 0o640 });
  const sink = new PassThrough();
  const done = gz ? pipeline(sink, createGzip(), out) : pipeline(sink, out);
  const digest = createHash('sha256');
  const fileDigest = createHash('sha256');
  let lines = 0;
  const write = async (obj: unknown) => {
    const line = JSON.stringify(obj) + '\n';
    digest.update(line, 'utf8');
    lines++;
    if (!sink.write(line)) await once(sink, 'drain');
  };
  const header: BundleHeader = { type: BUNDLE_FORMAT, version: 1, ...input.header, hashing: HASHING_DESCRIPTION };
  await write(header);
  for (const c of input.checkpoints) await write({ type: 'checkpoint', ...c });
  if (input.anchor) await write({ type: 'anchor', ...input.anchor });
  let entries = 0;
  let lastHash = header.prevHash;
  for await (const e of input.entries) {
    await write({ type: 'entry', ...e });
    entries++;
    lastHash = e.hash;
  }
  const sha256 = digest.digest('hex');
  const trailer: BundleTrailer = { type: 'trailer', lines, entries, checkpoints: input.checkpoints.length, sha256 };
  if (input.signer) {
    trailer.alg = input.signer.alg;
    trailer.certDer = input.signer.certDerBase64;
    trailer.signature = signPayload(input.signer, bundleSignaturePayload(sha256));
  }
  sink.end(JSON.stringify(trailer) + '\n');
  await done;
  // Digest of the file as stored (what the archive bookkeeping records).
  await pipeline(createReadStream(input.file), fileDigest);
  return {
    file: input.file,
    sha256: fileDigest.digest('hex'),
    entries,
    checkpoints: input.checkpoints.length,
    firstSeq: header.firstSeq,
    lastSeq: header.lastSeq,
    lastHash,
    signed: Boolean(input.signer),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

interface RawLine {
  index: number;
  text: string;
}

/** Lines of a bundle (gunzipped if needed), plus whether the file ended with a newline. */
async function* bundleLines(file: string): AsyncGenerator<RawLine> {
  const source = createReadStream(file);
  // A corrupted gzip stream emits 'error' on the gunzip stream, which pipe() does not forward:
  // catch it here so a damaged bundle is reported as such instead of crashing the verifier.
  let failure: Error | undefined;
  let stream: Readable = source;
  if (await isGzip(file)) stream = source.pipe(createGunzip());
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  const fail = (err: Error) => {
    failure ??= err;
    rl.close();
  };
  source.on('error', fail);
  if (stream !== source) stream.on('error', fail);
  rl.on('error', fail); // readline re-emits its input's errors on itself
  let index = 0;
  for await (const text of rl) {
    if (failure) break;
    index++;
    yield { index, text };
  }
  if (failure) throw new BundleFormatError(`Tệp gói nhật ký bị hỏng, không đọc được (${(failure as NodeJS.ErrnoException).code ?? failure.message})`, index + 1);
}

export class BundleFormatError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'BundleFormatError';
  }
}

export interface BundleVerification {
  ok: boolean;
  file: string;
  purpose?: 'export' | 'archive';
  firstSeq?: number;
  lastSeq?: number;
  prevHash?: string;
  lastHash?: string;
  entries: number;
  checkpointsVerified: number;
  /** Entries after the last checkpoint: vouched for by the bundle signature only. */
  entriesAfterLastCheckpoint: number;
  bundleSigned: boolean;
  signers: SignerInfo[];
  /** Fingerprints of the CA certificates the signers were checked against: compare them out of band. */
  caFingerprints: string[];
  problem?: ChainProblem;
}

export interface VerifyBundleOptions {
  /** The auditor's own copy of the gateway CA (PEM): when given, the bundled CA certificates are not trusted. */
  caPems?: string[];
  /** Accept signing certificates with these SHA-256 fingerprints. */
  signerFingerprints?: string[];
}

/** Scans the file for entries matching a predicate (only used to classify a break). */
async function scanEntries(file: string, pick: (e: ChainEntry) => boolean): Promise<number[]> {
  const found: number[] = [];
  for await (const { text } of bundleLines(file)) {
    if (!text.startsWith('{"type":"entry"')) continue;
    try {
      const e = JSON.parse(text) as ChainEntry;
      if (pick(e)) found.push(Number(e.seq));
    } catch {
      /* structure errors are reported by the main pass */
    }
  }
  return found;
}

export async function verifyBundle(file: string, options: VerifyBundleOptions = {}): Promise<BundleVerification> {
  const result: BundleVerification = { ok: false, file, entries: 0, checkpointsVerified: 0, entriesAfterLastCheckpoint: 0, bundleSigned: false, signers: [], caFingerprints: [] };
  const fail = (p: ChainProblem) => ({ ...result, ok: false, problem: p });

  // gzip container: the only header our writer produces. Header bytes do not change the content,
  // so without this check a changed mtime/OS byte would go unnoticed. (Padding bits of the last
  // deflate byte are the one part of a .gz bundle the content checks cannot see: exports default
  // to plain JSON Lines.)
  if (await isGzip(file)) {
    const fh = await open(file, 'r');
    const head = Buffer.alloc(10);
    try {
      await fh.read(head, 0, 10, 0);
    } finally {
      await fh.close();
    }
    if (head.toString('hex') !== GZIP_HEADER) return fail(problem('bundle', 0, 'Phần đầu nén gzip của tệp đã bị thay đổi'));
  }

  // Pass 1: structure, digest, trailer signature; collect header and checkpoints.
  const digest = createHash('sha256');
  let header: BundleHeader | undefined;
  let trailer: BundleTrailer | undefined;
  const checkpoints: CheckpointRecord[] = [];
  let lines = 0;
  let entryCount = 0;
  let section = 0; // 0 header, 1 checkpoints, 2 anchor, 3 entries, 4 trailer seen
  try {
    for await (const { index, text } of bundleLines(file)) {
      if (trailer) throw new BundleFormatError('Có dữ liệu sau dòng kết thúc', index);
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new BundleFormatError(`Dòng ${index} không phải JSON hợp lệ`, index);
      }
      if (obj.type === 'trailer') {
        trailer = obj as unknown as BundleTrailer;
        continue;
      }
      digest.update(text + '\n', 'utf8');
      lines++;
      if (index === 1) {
        if (obj.type !== BUNDLE_FORMAT || obj.version !== 1) throw new BundleFormatError('Không phải gói nhật ký ndxp (dòng đầu sai định dạng)', 1);
        header = obj as unknown as BundleHeader;
        section = 1;
        continue;
      }
      const order = obj.type === 'checkpoint' ? 1 : obj.type === 'anchor' ? 2 : obj.type === 'entry' ? 3 : -1;
      if (order < 0 || order < section) throw new BundleFormatError(`Dòng ${index}: loại "${String(obj.type)}" không hợp lệ hoặc sai vị trí`, index);
      section = order;
      if (order === 1) {
        const { type: _t, ...cp } = obj;
        checkpoints.push(cp as unknown as CheckpointRecord);
      }
      if (order === 3) entryCount++;
    }
  } catch (err) {
    if (err instanceof BundleFormatError) return fail(problem('bundle', 0, err.message, `line ${err.line}`));
    return fail(problem('bundle', 0, `Không đọc được tệp: ${(err as Error).message}`));
  }
  if (!header) return fail(problem('bundle', 0, 'Tệp rỗng hoặc không có phần đầu'));
  if (!trailer) return fail(problem('bundle', 0, 'Tệp bị cắt cụt: thiếu dòng kết thúc'));
  // Strict trailer: a renamed key (e.g. "signature") must not turn a signed bundle into an unsigned one.
  const trailerKeys = Object.keys(trailer).sort().join(',');
  if (trailerKeys !== 'checkpoints,entries,lines,sha256,type' && trailerKeys !== 'alg,certDer,checkpoints,entries,lines,sha256,signature,type') {
    return fail(problem('bundle', 0, 'Dòng kết thúc của gói không đúng định dạng'));
  }
  result.purpose = header.purpose;
  result.firstSeq = header.firstSeq;
  result.lastSeq = header.lastSeq;
  result.prevHash = header.prevHash;

  // Trust: the auditor's CA if given, else the bundled CA certificates, else the bundled signers as pinned.
  const bundledCas = (header.certificates ?? []).filter((c) => c.role === 'ca').map((c) => derToPem(c.der));
  const caPems = options.caPems?.length ? options.caPems : bundledCas;
  const trust: Trust = { caPems, fingerprints: options.signerFingerprints };
  if (!caPems.length && !options.signerFingerprints?.length) trust.fingerprints = (header.certificates ?? []).filter((c) => c.role === 'signing').map((c) => certFingerprint(c.der));
  result.caFingerprints = caPems.map((p) => certFingerprint(pemToDer(p)));

  // Pass 2: the chain.
  async function* entries(): AsyncGenerator<ChainEntry> {
    for await (const { text } of bundleLines(file)) {
      if (!text.startsWith('{"type":"entry"')) continue;
      const { type: _t, ...e } = JSON.parse(text) as Record<string, unknown>;
      yield e as unknown as ChainEntry;
    }
  }
  const walk = await walkChain({
    entries: entries(),
    startSeq: Number(header.firstSeq),
    startPrevHash: header.firstSeq === 1 ? GENESIS_HASH : String(header.prevHash),
    endSeq: Number(header.lastSeq),
    checkpoints,
    lookup: {
      withPrevHash: (h) => scanEntries(file, (e) => e.prev_hash === h),
      withHash: (h) => scanEntries(file, (e) => e.hash === h),
    },
    trust,
  });
  result.entries = walk.entries;
  result.checkpointsVerified = walk.checkpointsVerified;
  result.signers = walk.signers;
  result.lastHash = walk.lastHash;
  result.entriesAfterLastCheckpoint = walk.lastSeq !== undefined ? walk.lastSeq - (walk.lastCheckpointSeq ?? Number(header.firstSeq) - 1) : 0;
  if (!walk.ok) return fail(walk.problem!);
  if (header.firstSeq === 1 && header.prevHash !== GENESIS_HASH) return fail(problem('bundle', 1, 'Phần đầu gói khai báo sai mã băm khởi đầu'));
  if (walk.lastSeq !== undefined && walk.lastSeq > Number(header.lastSeq)) {
    return fail(problem('inserted', Number(header.lastSeq) + 1, `Gói chứa bản ghi ngoài phạm vi khai báo (sau vị trí ${header.lastSeq})`));
  }

  // Trailer: digest over every byte before it, entry/line counts, signature.
  const sha = digest.digest('hex');
  if (trailer.sha256 !== sha || trailer.lines !== lines || trailer.entries !== entryCount || trailer.checkpoints !== checkpoints.length) {
    return fail(problem('bundle', 0, 'Nội dung tệp đã bị thay đổi (mã băm toàn tệp không khớp)'));
  }
  if (trailer.signature) {
    if (!trailer.certDer || !trailer.alg || !verifyPayload(trailer.alg, trailer.certDer, bundleSignaturePayload(sha), trailer.signature)) {
      return fail(problem('bundle', 0, 'Chữ ký của gói xuất không hợp lệ'));
    }
    const signerOk = signerTrusted(trailer.certDer, trust);
    if (!signerOk) return fail(problem('bundle', 0, 'Gói xuất được ký bởi chứng thư không tin cậy'));
    result.bundleSigned = true;
  }
  result.ok = true;
  return result;
}

export function derToPem(derBase64: string): string {
  const lines = derBase64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function pemToDer(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
