/**
 * Looks inside an uploaded workbook's zip container BEFORE any spreadsheet parser touches it:
 * the central directory names every part and its sizes, so a zip bomb, a macro project
 * (vbaProject.bin: .xlsm saved as .xlsx), links to other workbooks, or a file that is not an
 * .xlsx at all (an old .xls, a password-protected workbook, a .docx, a picture) is refused with
 * its own code and nothing is read further. The sizes the directory declares are then proved by
 * inflating every part once while counting bytes (constant memory), so a part that inflates to
 * more than it declared, or more than the limit, is refused too.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createInflateRaw } from 'node:zlib';
import { GatewayError } from '../../core/errors.js';

export interface ZipLimits {
  /** All parts together, uncompressed. */
  maxUncompressedBytes: number;
  /** Largest uncompressed/compressed ratio of one part bigger than 1 MiB. */
  maxRatio: number;
  maxEntries: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxUncompressedBytes: 512 * 1024 * 1024, maxRatio: 200, maxEntries: 2000 };

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const CDH = 0x02014b50;
const LFH = 0x04034b50;

const notExcel = (detail: string) => new GatewayError('TEP_KHONG_PHAI_EXCEL', {}, detail);

/** A worksheet part's name and visibility, as xl/workbook.xml says. */
export interface SheetName {
  name: string;
  hidden: boolean;
}

/** Checks the container; returns its entries (and the worksheets' names by part) when it may be parsed. Throws GatewayError otherwise. */
export async function inspectWorkbookZip(file: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipEntry[] & { sheets: Map<string, SheetName> }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const entries = await readDirectory(fh, size, limits);
    const names = new Set(entries.map((e) => e.name));
    if (!names.has('xl/workbook.xml')) throw notExcel('no xl/workbook.xml');
    if (entries.some((e) => /(^|\/)vbaProject\.bin$/i.test(e.name) || /\.bin$/i.test(e.name) && /activeX|macrosheets/i.test(e.name))) throw new GatewayError('EXCEL_CO_MACRO');
    if (entries.some((e) => /^xl\/macrosheets\//i.test(e.name) || /^xl\/dialogsheets\//i.test(e.name))) throw new GatewayError('EXCEL_CO_MACRO');
    if (entries.some((e) => /^xl\/externalLinks\//i.test(e.name))) throw new GatewayError('EXCEL_CO_LIEN_KET_NGOAI');

    for (const e of entries) await proveSize(fh, e, size);
    return Object.assign(entries, { sheets: await sheetNames(fh, entries, size) });
  } finally {
    await fh.close();
  }
}

/** The container's entries, from its central directory; with `limits`, checked against them. */
async function readDirectory(fh: FileHandle, size: number, limits?: ZipLimits): Promise<ZipEntry[]> {
  const head = Buffer.alloc(8);
  await fh.read(head, 0, 8, 0);
  if (size < 22 || head.readUInt32LE(0) !== LFH) {
    const ole = head.readUInt32BE(0) === 0xd0cf11e0;
    throw notExcel(ole ? 'OLE compound file (.xls or encrypted workbook)' : 'no zip signature');
  }
  // End of central directory: in the last 22 + 65535 (comment) bytes.
  const tailLen = Math.min(size, 22 + 65535);
  const tail = Buffer.alloc(tailLen);
  await fh.read(tail, 0, tailLen, size - tailLen);
  let at = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i;
      break;
    }
  }
  if (at < 0) throw notExcel('no end of central directory');
  return centralDirectory(fh, size, tail, at, limits);
}

/** The entries of a workbook already checked by inspectWorkbookZip (checkWorkbook's copy), for reading its parts. */
export async function listEntries(file: string): Promise<ZipEntry[]> {
  const fh = await open(file, 'r');
  try {
    return await readDirectory(fh, (await fh.stat()).size);
  } finally {
    await fh.close();
  }
}

/** Where a part's compressed bytes start in the file (after its local header, whose name and extra field may differ in length from the central directory's). */
export async function partDataStart(fh: FileHandle, e: ZipEntry): Promise<number> {
  const lh = Buffer.alloc(30);
  await fh.read(lh, 0, 30, e.localHeaderOffset);
  if (lh.readUInt32LE(0) !== LFH) throw notExcel('damaged local header');
  return e.localHeaderOffset + 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
}

/** The entries of the central directory the end record at `tail[at]` points to; with `limits`, checked against them. */
async function centralDirectory(fh: FileHandle, size: number, tail: Buffer, at: number, limits?: ZipLimits): Promise<ZipEntry[]> {
  const count = tail.readUInt16LE(at + 10);
  const cdSize = tail.readUInt32LE(at + 12);
  const cdOffset = tail.readUInt32LE(at + 16);
  // Zip64 (0xFFFF / 0xFFFFFFFF markers) only serves parts or files beyond 4 GB: far past any limit.
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new GatewayError('EXCEL_QUA_LON', {}, 'zip64');
  if (limits && count > limits.maxEntries) throw new GatewayError('EXCEL_QUA_LON', {}, `entries ${count}`);
  if (cdOffset + cdSize > size) throw notExcel('central directory outside the file');
  const cd = Buffer.alloc(cdSize);
  await fh.read(cd, 0, cdSize, cdOffset);

  const entries: ZipEntry[] = [];
  let total = 0;
  for (let p = 0, n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CDH) throw notExcel('damaged central directory');
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      uncompressedSize: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    };
    if (entry.uncompressedSize === 0xffffffff || entry.compressedSize === 0xffffffff) throw new GatewayError('EXCEL_QUA_LON', {}, 'zip64 entry');
    total += entry.uncompressedSize;
    if (limits && total > limits.maxUncompressedBytes) throw new GatewayError('EXCEL_QUA_LON', {}, `uncompressed ${total}`);
    if (limits && entry.uncompressedSize > 1024 * 1024 && entry.uncompressedSize > limits.maxRatio * Math.max(1, entry.compressedSize)) {
      throw new GatewayError('EXCEL_QUA_LON', {}, `ratio of ${entry.name}`);
    }
    entries.push(entry);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unescapeXml = (s: string) => s.replace(/&(amp|lt|gt|quot|apos|#x?[0-9a-fA-F]+);/g, (_, e: string) => XML_ENTITIES[e] ?? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)));
const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w:]+)="([^"]*)"/g)].map((m) => [m[1], unescapeXml(m[2])]));

/**
 * Worksheet part → name. exceljs's streaming reader learns names from xl/workbook.xml, and when a
 * writer put that part after the worksheets (exceljs's own non-streaming writer does) it knows
 * none; the names are read here from the two small parts that hold them.
 */
async function sheetNames(fh: import('node:fs/promises').FileHandle, entries: ZipEntry[], size: number): Promise<Map<string, SheetName>> {
  const text = async (name: string) => {
    const e = entries.find((x) => x.name === name);
    return e && e.uncompressedSize < 4 * 1024 * 1024 ? (await proveSize(fh, e, size, true))!.toString('utf8') : '';
  };
  const targets = new Map<string, string>();
  for (const m of (await text('xl/_rels/workbook.xml.rels')).matchAll(/<Relationship\b[^>]*>/g)) {
    const a = attrs(m[0]);
    if (a.Id && a.Target) targets.set(a.Id, a.Target.startsWith('/') ? a.Target.slice(1) : `xl/${a.Target}`);
  }
  const names = new Map<string, SheetName>();
  for (const m of (await text('xl/workbook.xml')).matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
    const a = attrs(m[0]);
    const target = targets.get(a['r:id'] ?? Object.entries(a).find(([k]) => k.endsWith(':id'))?.[1] ?? '');
    if (target && a.name) names.set(target, { name: a.name, hidden: a.state === 'hidden' || a.state === 'veryHidden' });
  }
  return names;
}

/** Inflates one part while counting: it must come to exactly the size it declared (`keep`: and return its bytes). */
async function proveSize(fh: import('node:fs/promises').FileHandle, e: ZipEntry, fileSize: number, keep = false): Promise<Buffer | undefined> {
  const kept: Buffer[] = [];
  const start = await partDataStart(fh, e);
  if (start + e.compressedSize > fileSize) throw notExcel('part outside the file');
  if (e.method === 0) {
    if (e.compressedSize !== e.uncompressedSize) throw notExcel('stored part size mismatch');
    if (!keep) return undefined;
    const b = Buffer.alloc(e.compressedSize);
    await fh.read(b, 0, b.length, start);
    return b;
  }
  if (e.method !== 8) throw notExcel(`compression method ${e.method}`);
  const inflate = createInflateRaw();
  let produced = 0;
  const done = new Promise<void>((resolve, reject) => {
    inflate.on('data', (chunk: Buffer) => {
      produced += chunk.length;
      if (keep) kept.push(chunk);
      if (produced > e.uncompressedSize) {
        inflate.destroy();
        reject(new GatewayError('EXCEL_QUA_LON', {}, `${e.name} inflates past its declared size`));
      }
    });
    inflate.on('end', resolve);
    inflate.on('error', (err) => reject(err instanceof GatewayError ? err : notExcel(`inflate ${e.name}: ${err.message}`)));
  });
  const chunk = Buffer.alloc(64 * 1024);
  let pos = start;
  const end = start + e.compressedSize;
  try {
    while (pos < end && !inflate.destroyed) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, end - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      if (!inflate.write(Buffer.from(chunk.subarray(0, bytesRead)))) await Promise.race([new Promise((r) => inflate.once('drain', r)), done]);
    }
    if (!inflate.destroyed) inflate.end();
  } catch {
    /* the promise below carries the reason */
  }
  await done;
  if (produced !== e.uncompressedSize) throw notExcel(`${e.name} size mismatch`);
  return keep ? Buffer.concat(kept) : undefined;
}

