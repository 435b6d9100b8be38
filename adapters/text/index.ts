/**
 * Legacy Vietnamese text: every string that reaches the central database is NFC Unicode.
 * - TCVN3 (ABC) text sent as Latin-1 characters (vendor A installations configured `tcvn3`),
 * - decomposed Unicode (vendor B's Java stack sends NFD),
 * - Windows-1258 bytes (vendor C), whose tone marks are separate combining characters.
 */
import iconv from 'iconv-lite';
import type { TextRepair } from '../types.js';
import { tcvn3ToUnicode } from './tcvn3.js';

export { tcvn3ToUnicode, looksLikeTcvn3, TCVN3_TABLE } from './tcvn3.js';

export type TextEncoding = 'unicode' | 'tcvn3';

// ASCII-only strings are already NFC; skipping normalize() for them keeps the hot path cheap
// (codes, dates and numbers are most of a record's fields).
const NON_ASCII = /[^\x00-\x7f]/;

const toNfc: TextRepair = (text) => (NON_ASCII.test(text) ? text.normalize('NFC') : text);
const fromTcvn3: TextRepair = (text) => (NON_ASCII.test(text) ? tcvn3ToUnicode(text).normalize('NFC') : text);

/** The repair a connection key's encoding setting calls for. */
export function textRepair(encoding: TextEncoding): TextRepair {
  switch (encoding) {
    case 'tcvn3':
      return fromTcvn3;
    case 'unicode':
      return toNfc;
    default:
      throw new TypeError(`unknown text encoding: ${String(encoding)}`);
  }
}

/** Thrown by decodeLegacyBytes for an encoding label it cannot decode. */
export class UnsupportedEncodingError extends Error {
  readonly code = 'BANG_MA_KHONG_HO_TRO';
  constructor(readonly label: string) {
    super(`Bảng mã ký tự "${label}" không được hỗ trợ`);
    this.name = 'UnsupportedEncodingError';
  }
}

/** True when decodeLegacyBytes can decode this label. */
export function isSupportedEncoding(label: string): boolean {
  const l = label.trim().toLowerCase();
  return l === 'tcvn3' || l === 'tcvn-3' || l === 'abc' || iconv.encodingExists(l);
}

/**
 * Decodes bytes in a declared legacy encoding (windows-1258, utf-8, iso-8859-1, … as iconv-lite
 * knows them; also `tcvn3`) to an NFC string. Windows-1258 writes tone marks as combining
 * characters, so the decoded text is composed afterwards. A leading BOM is dropped.
 * Throws UnsupportedEncodingError for an unknown label.
 */
export function decodeLegacyBytes(buf: Uint8Array, encodingLabel: string): string {
  const label = encodingLabel.trim().toLowerCase();
  if (label === 'tcvn3' || label === 'tcvn-3' || label === 'abc') {
    return tcvn3ToUnicode(Buffer.from(buf).toString('latin1')).normalize('NFC');
  }
  if (!iconv.encodingExists(label)) throw new UnsupportedEncodingError(encodingLabel);
  return iconv.decode(Buffer.isBuffer(buf) ? buf : Buffer.from(buf), label).normalize('NFC');
}
