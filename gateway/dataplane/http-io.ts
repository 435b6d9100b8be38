/**
 * Reading request bodies under a size limit and writing answers. Kept free of framework code:
 * this is the data plane's hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { HttpAnswer } from '../../adapters/types.js';

/** A byte count as a caller reads it in a refusal ("10 MB", "64 kB"). */
export function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(0)} MB` : `${Math.round(n / 1024)} kB`;
}

/** Reads the whole body; refuses with DU_LIEU_QUA_LON as soon as it exceeds `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new GatewayError('DU_LIEU_QUA_LON', { limit: formatBytes(limit) }, `content-length ${declared}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        req.resume();
        reject(new GatewayError('DU_LIEU_QUA_LON', { limit: formatBytes(limit) }, `body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
    req.on('aborted', () => {
      if (!failed) {
        failed = true;
        reject(new GatewayError('HET_THOI_GIAN', {}, 'client aborted'));
      }
    });
  });
}

export function writeAnswer(res: ServerResponse, answer: HttpAnswer, extraHeaders?: Record<string, string>): number {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  if (res.headersSent) {
    res.end();
    return 0;
  }
  res.writeHead(answer.status, { ...answer.headers, ...extraHeaders, 'content-length': String(body.length) });
  res.end(body);
  return body.length;
}

export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

/** RFC 9457 problem document for JSON clients. */
export function problemAnswer(err: GatewayError, requestId?: string): HttpAnswer {
  const headers: Record<string, string> = { 'content-type': 'application/problem+json; charset=utf-8' };
  if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(err.retryAfterSeconds);
  return {
    status: err.httpStatus,
    headers,
    body: JSON.stringify({
      type: `urn:ndxp:loi:${err.code}`,
      title: err.message,
      status: err.httpStatus,
      code: err.code,
      ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
      ...(requestId ? { requestId } : {}),
    }),
  };
}
