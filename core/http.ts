/**
 * HTTP on the ground floor: the answer and request shapes every front and route share, reading
 * request bodies under a size limit, writing answers, and the one RFC 9457 problem renderer.
 * Kept free of framework code: this is the data plane's hot path.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { GatewayError, type ErrorCode } from './errors.js';
import { corruptBody, decoderFor, requestCoding, type Coding } from './content-coding.js';

/** An answer to send: status, headers and a body, whatever the protocol. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** What the router knows of a request before any front reads it. */
export interface RequestMeta {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

/** A byte count as a caller reads it in a refusal ("10 MB", "64 kB"). */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(0)} MB` : `${Math.round(n / 1024)} kB`;
}

/**
 * Reads the whole body; refuses with DU_LIEU_QUA_LON as soon as it exceeds `limit` bytes. A body
 * sent with a Content-Encoding (gzip, deflate, br) is decompressed while it streams in, and the
 * limit applies to the decompressed bytes too, so a compressed bomb is cut off early.
 * MA_HOA_NEN_KHONG_HO_TRO for a coding we do not undo, DU_LIEU_NEN_HONG for a corrupt one.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  let coding: Coding | undefined;
  try {
    coding = requestCoding(req.headers['content-encoding']);
  } catch (err) {
    req.resume();
    return Promise.reject(err);
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new GatewayError('DU_LIEU_QUA_LON', { limit: formatBytes(limit) }, `content-length ${declared}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let received = 0;
    let failed = false;
    let decoder: Transform | undefined;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      decoder?.destroy();
      // Drain the rest so the refusal can still be written on this connection.
      req.resume();
      reject(err);
    };
    const tooLarge = (what: string) => fail(new GatewayError('DU_LIEU_QUA_LON', { limit: formatBytes(limit) }, what));
    const finish = () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const take = (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) return tooLarge(coding ? `${coding} body decompresses past ${limit} bytes` : `body over ${limit} bytes`);
      chunks.push(chunk);
    };
    const startDecoder = (c: Coding, head: Buffer): Transform => {
      const d = decoderFor(c, head);
      d.on('data', take);
      d.on('end', finish);
      d.on('error', (err) => fail(corruptBody(c, err)));
      return d;
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      received += chunk.length;
      if (received > limit) return tooLarge(`body over ${limit} bytes`);
      if (!coding) return take(chunk);
      decoder ??= startDecoder(coding, chunk);
      // Backpressure: the socket waits while zlib catches up, so memory stays bounded.
      if (!decoder.write(chunk)) {
        req.pause();
        decoder.once('drain', () => {
          if (!failed) req.resume();
        });
      }
    });
    req.on('end', () => {
      if (failed) return;
      if (decoder) decoder.end();
      else finish();
    });
    req.on('error', (err) => fail(err));
    req.on('aborted', () => fail(new GatewayError('HET_THOI_GIAN', {}, 'client aborted')));
  });
}

/** decodeURIComponent for caller input: undefined instead of a URIError for malformed percent-encoding. */
export function decodeComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export function writeAnswer(res: ServerResponse, answer: HttpAnswer, extraHeaders?: Record<string, string>): number {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  if (res.headersSent) {
    res.end();
    return 0;
  }
  // Object.assign rather than a spread literal: on Node 20 `{ ...a, ...b, k: v }` costs several µs per answer.
  const headers: Record<string, string | string[] | number> = Object.assign({}, answer.headers, extraHeaders);
  headers['content-length'] = String(body.length);
  res.writeHead(answer.status, headers);
  res.end(body);
  return body.length;
}

export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

/**
 * The RFC 9457 problem document, spelled in this one place: the data plane's JSON answers and
 * the admin plane's refusals both come from here. `code` is a catalogue code, so every problem
 * a caller or operator reads is in core/errors.ts.
 */
export function problemDocument(status: number, code: ErrorCode, title: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: `urn:ndxp:loi:${code}`, title, status, code, ...extra };
}

/** RFC 9457 problem document for JSON clients. */
export function problemAnswer(err: GatewayError, requestId?: string): HttpAnswer {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json; charset=utf-8' };
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
  return {
    status: err.httpStatus,
    headers,
    body: JSON.stringify(
      problemDocument(err.httpStatus, err.code, err.message, {
        ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
        ...(requestId ? { requestId } : {}),
      }),
    ),
  };
}
