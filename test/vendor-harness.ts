/**
 * A plain-HTTP stand-in for the data plane, for front-level tests only: route by the registry,
 * GET → describe, POST → readRequest → a minimal outcome per record (INVALID when the front's own
 * mapping found errors, SYNCED otherwise) → renderResult; any GatewayError → renderError. The real
 * pipeline (keys, preparation, delivery) is exercised by the data-plane tests through mTLS.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRegistry } from '../adapters/registry.js';
import { textRepair } from '../adapters/text/index.js';
import type { IncomingCall, OperationResult, RequestLimits, VendorFront } from '../adapters/types.js';
import type { HttpAnswer, RequestMeta } from '../core/http.js';
import { GatewayError } from '../core/errors.js';
import { limits } from './vendor-helpers.js';

export interface Captured {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  call?: IncomingCall;
  result?: OperationResult;
  answer: HttpAnswer;
}

export interface Harness {
  url: string;
  captured: Captured[];
  close(): Promise<void>;
}

function outcome(call: IncomingCall, encoding: 'unicode' | 'tcvn3'): OperationResult {
  const repair = textRepair(encoding);
  if (call.trackingIds) {
    return { operation: 'status', results: call.trackingIds.map((id, index) => ({ recordId: id, index, status: 'QUEUED', trackingId: id, errors: [], warnings: [] })) };
  }
  if (call.unit) {
    const u = call.unit(repair);
    return { operation: 'upsertUnit', results: [{ recordId: u.recordId, index: 0, status: u.errors.length ? 'INVALID' : 'SYNCED', trackingId: 'TD-UNIT', errors: u.errors, warnings: u.warnings }] };
  }
  const records = call.records!(repair);
  return {
    operation: 'submitProfiles',
    correlation: call.correlation,
    results: records.map((r) => ({
      recordId: r.recordId,
      index: r.index,
      status: r.errors.length ? 'INVALID' : 'SYNCED',
      trackingId: `TD-${r.index + 1}`,
      errors: r.errors,
      warnings: r.warnings,
    })),
  };
}

export async function startHarness(
  fronts: readonly VendorFront[],
  opts: { encoding?: 'unicode' | 'tcvn3'; limits?: Partial<RequestLimits>; tls?: https.ServerOptions } = {},
): Promise<Harness> {
  const registry = createRegistry(fronts);
  const captured: Captured[] = [];
  let publicUrl = '';
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://x');
      const front = registry.frontForPath(url.pathname);
      const entry: Captured = { path: url.pathname, headers: req.headers, body, answer: { status: 404, headers: {}, body: '' } };
      let answer: HttpAnswer;
      if (!front) answer = { status: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' };
      else {
        const meta: RequestMeta = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers };
        try {
          if (req.method === 'GET') {
            const doc = front.describe?.(meta, publicUrl);
            if (!doc) throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: 'GET', path: url.pathname });
            answer = doc;
          } else {
            entry.call = front.readRequest(body, meta, limits(opts.limits));
            entry.result = outcome(entry.call, opts.encoding ?? 'unicode');
            answer = front.renderResult(entry.call, entry.result);
          }
        } catch (err) {
          if (!(err instanceof GatewayError)) {
            answer = { status: 599, headers: {}, body: `NOT A GATEWAY ERROR: ${String(err)}` };
          } else answer = front.renderError(err, entry.call);
        }
      }
      entry.answer = answer;
      captured.push(entry);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    });
  };
  const server = opts.tls ? https.createServer(opts.tls, handler) : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  publicUrl = `${opts.tls ? 'https' : 'http'}://${opts.tls ? 'localhost' : '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  return {
    url: publicUrl,
    captured,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** POSTs raw bytes to the harness. */
export async function post(url: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
