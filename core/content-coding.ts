/**
 * Request bodies sent with a Content-Encoding: PHP SoapClient with SOAP_COMPRESSION_GZIP, .NET
 * clients with a compressing handler and Java stacks send gzip or deflate bodies. This module
 * says which codings the data plane undoes and makes the streaming decoder for one; readBody
 * (core/http.ts readBody) pipes the socket through it and caps the DECOMPRESSED size at the body limit, so
 * a few kilobytes cannot expand into gigabytes in memory.
 */
import zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import { GatewayError } from './errors.js';

export type Coding = 'gzip' | 'deflate' | 'br';

/** Sent as Accept-Encoding with a refused coding (RFC 9110 §12.5.3). */
export const ACCEPTED_CODINGS = 'gzip, deflate, br';

function unsupported(value: string): GatewayError {
  return new GatewayError('MA_HOA_NEN_KHONG_HO_TRO', { encoding: value.trim().slice(0, 60), supported: 'gzip, deflate hoặc br' }, `content-encoding ${value.slice(0, 100)}`);
}

/**
 * The coding to undo for a Content-Encoding header; undefined when there is none (absent,
 * empty, `identity`). One coding at most: a stack of codings is refused like an unknown one.
 * Throws MA_HOA_NEN_KHONG_HO_TRO naming what the caller sent.
 */
export function requestCoding(header: string | string[] | undefined): Coding | undefined {
  const value = Array.isArray(header) ? header.join(', ') : header;
  if (!value) return undefined;
  const codings = value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0 && s !== 'identity');
  if (codings.length === 0) return undefined;
  if (codings.length > 1) throw unsupported(value);
  switch (codings[0]) {
    case 'gzip':
    case 'x-gzip': // RFC 9110 §8.4.1.3: to be treated as gzip
      return 'gzip';
    case 'deflate':
      return 'deflate';
    case 'br':
      return 'br';
    default:
      throw unsupported(value);
  }
}

/** RFC 1950 header: compression method 8 (deflate), window ≤ 32 kB, CMF·256 + FLG divisible by 31. */
function isZlibHeader(head: Buffer): boolean {
  if (head.length === 0 || (head[0] & 0x0f) !== 8 || head[0] >> 4 > 7) return false;
  return head.length < 2 || ((head[0] << 8) | head[1]) % 31 === 0;
}

/**
 * A streaming decoder. `head` is the body's first chunk: HTTP's `deflate` is the zlib format,
 * but .NET's DeflateStream (and old IIS-era clients) send raw deflate under the same name.
 */
export function decoderFor(coding: Coding, head: Buffer): Transform {
  switch (coding) {
    case 'gzip':
      return zlib.createGunzip();
    case 'br':
      return zlib.createBrotliDecompress();
    case 'deflate':
      return isZlibHeader(head) ? zlib.createInflate() : zlib.createInflateRaw();
  }
}

/** A body that would not decompress: the caller's data, not a gateway fault. */
export function corruptBody(coding: Coding, err: Error): GatewayError {
  return new GatewayError('DU_LIEU_NEN_HONG', { encoding: coding }, `${coding}: ${err.message}`);
}

/** Headers a refusal carries besides the front's own: Accept-Encoding when the coding was refused. */
export function codingRefusalHeaders(err: GatewayError): Record<string, string> {
  return err.code === 'MA_HOA_NEN_KHONG_HO_TRO' ? { 'accept-encoding': ACCEPTED_CODINGS } : {};
}
