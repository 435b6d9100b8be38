/**
 * Bytes → string for XML bodies, before any parsing: the byte-order mark wins, then the XML
 * declaration's `encoding`, then UTF-8. UTF-8 and UTF-16 are decoded strictly (invalid bytes are
 * refused, never replaced by U+FFFD, so a record can never silently lose characters); legacy
 * labels (windows-1258 from vendor C, iso-8859-1 …) go through the shared legacy decoder, which
 * also composes Windows-1258's separate tone marks into NFC.
 */
import { TextDecoder } from 'node:util';
import { GatewayError } from '../../core/errors.js';
import { decodeLegacyBytes, isSupportedEncoding } from '../text/index.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: false });
const utf16be = new TextDecoder('utf-16be', { fatal: true, ignoreBOM: false });

const UTF8_LABELS = new Set(['utf-8', 'utf8', 'unicode-1-1-utf-8']);
const UTF16_LABELS = new Set(['utf-16', 'utf16', 'utf-16le', 'utf-16be', 'ucs-2', 'iso-10646-ucs-2']);
// Only a declaration at the very start counts; [^>]{0,200} bounds the scan on hostile input.
const DECLARED_ENCODING = /^<\?xml\s[^>]{0,200}?encoding\s*=\s*["']([A-Za-z][A-Za-z0-9._:-]{0,39})["']/;

function invalid(detail: string, internal?: string): GatewayError {
  return new GatewayError('XML_KHONG_HOP_LE', { detail }, internal);
}

/** The encoding label an XML declaration at the start of an ASCII-compatible body names, if any. */
export function declaredEncoding(bytes: Uint8Array): string | undefined {
  // latin1 maps each byte to one char, so the regex sees the declaration whatever the encoding.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 256)).toString('latin1');
  const m = DECLARED_ENCODING.exec(head);
  return m ? m[1].toLowerCase() : undefined;
}

function strict(decoder: TextDecoder, bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw invalid(`dữ liệu không phải ${what} hợp lệ (có chuỗi byte sai bảng mã)`, `invalid ${what} bytes`);
  }
}

/** The `charset` parameter of a Content-Type header, lower-cased. */
export function contentTypeCharset(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const m = /;\s*charset\s*=\s*"?([A-Za-z0-9._:-]{1,40})"?/i.exec(contentType);
  return m ? m[1].toLowerCase() : undefined;
}

/**
 * Decodes an XML body to a string (without BOM). Throws GatewayError XML_KHONG_HOP_LE.
 * `fallbackCharset` (the HTTP Content-Type charset) is used only when the body has neither a BOM
 * nor an encoding declaration: the vendor READMEs say the declared encoding decides, and old
 * clients are known to send a header charset that does not match their bytes.
 */
export function decodeXmlBytes(bytes: Uint8Array, fallbackCharset?: string): string {
  if (bytes.byteLength === 0) throw invalid('nội dung rỗng');
  const b0 = bytes[0];
  const b1 = bytes[1];
  if (b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf) return strict(utf8, bytes, 'UTF-8');
  if (b0 === 0xff && b1 === 0xfe) return strict(utf16le, bytes, 'UTF-16');
  if (b0 === 0xfe && b1 === 0xff) return strict(utf16be, bytes, 'UTF-16');
  // UTF-16 without a BOM still starts with '<' next to a zero byte.
  if (b0 === 0x3c && b1 === 0x00) return strict(utf16le, bytes, 'UTF-16');
  if (b0 === 0x00 && b1 === 0x3c) return strict(utf16be, bytes, 'UTF-16');

  const label = declaredEncoding(bytes) ?? fallbackCharset?.toLowerCase();
  if (label === undefined || UTF8_LABELS.has(label)) return strict(utf8, bytes, 'UTF-8');
  if (UTF16_LABELS.has(label)) {
    throw invalid(`khai báo bảng mã ${label} nhưng dữ liệu không phải UTF-16`);
  }
  if (!isSupportedEncoding(label)) throw invalid(`bảng mã «${label}» không được hỗ trợ`, `unsupported encoding ${label}`);
  let text: string;
  try {
    text = decodeLegacyBytes(bytes, label);
  } catch (err) {
    throw invalid(`không giải mã được dữ liệu theo bảng mã «${label}»`, (err as Error).message);
  }
  // Single-byte legacy code pages cannot encode U+FFFD: its presence means a byte the code page
  // leaves undefined, which is refused like invalid UTF-8 rather than silently replaced.
  if (text.includes('\ufffd')) throw invalid(`dữ liệu có byte không thuộc bảng mã «${label}»`, `undefined byte for ${label}`);
  return text;
}
