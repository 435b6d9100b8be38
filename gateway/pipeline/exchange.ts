/**
 * One data-plane exchange with a protocol front, from socket to answer:
 *
 *   certificate still valid? → lockout? → body (size limit) → front.readRequest (envelope)
 *   → connection key → rate limits + concurrency → execute (map, check, sign, deliver)
 *   → front.renderResult | front.renderError → audit → metrics
 *
 * Every failure on the way becomes a GatewayError rendered in the caller's own protocol by its
 * front; unexpected exceptions become LOI_HE_THONG with the request id, never a stack trace.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingCall, RequestLimits, VendorFront } from '../../adapters/types.js';
import type { HttpAnswer, RequestMeta } from '../../core/http.js';
import { GatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import type { AppContext } from '../../core/context.js';
import type { Peer } from './peer.js';
import { readBody, writeAnswer } from '../../core/http.js';
import { codingRefusalHeaders } from '../../core/content-coding.js';
import { keyRejections, recordsTotal, requestDuration, requestsTotal } from '../../core/metrics.js';
import { execute, type ExecuteDeps, type OutOfScope } from './execute.js';
import type { KeyCheck, KeyIdentity } from './ports.js';
import { isGuess } from './ports.js';
import { bodiesForAudit } from './redact.js';

export interface ExchangeDeps extends ExecuteDeps {
  ctx: AppContext;
  keys: KeyCheck;
  limits: RequestLimits;
  publicUrl: string;
}

export function requestLimits(ctx: AppContext): RequestLimits {
  const l = ctx.config.limits;
  return {
    maxBodyBytes: l.maxBodyBytes,
    xmlMaxDepth: l.xmlMaxDepth,
    xmlMaxElements: l.xmlMaxElements,
    xmlMaxAttributes: l.xmlMaxAttributes,
    xmlMaxAttributeLength: l.xmlMaxAttributeLength,
    xmlMaxTextLength: l.xmlMaxTextLength,
    maxRecordsPerCall: l.maxRecordsPerCall,
    maxStatusIdsPerCall: l.maxStatusIdsPerCall,
    maxFutureSkewSeconds: ctx.config.vendorB.maxFutureSkewSeconds,
    now: () => new Date(),
  };
}

/** Turns anything thrown into a caller-safe GatewayError (internal errors are logged with the request id). */
export function asGatewayError(err: unknown, ctx: AppContext, requestId: string): GatewayError {
  if (err instanceof GatewayError) return err;
  ctx.log.error('request failed', { requestId, err: err as Error, stack: (err as Error)?.stack });
  return new GatewayError('LOI_HE_THONG', { requestId }, (err as Error)?.message);
}

export async function handleExchange(
  front: VendorFront,
  req: IncomingMessage,
  res: ServerResponse,
  peer: Peer,
  meta: RequestMeta,
  deps: ExchangeDeps,
): Promise<void> {
  const started = performance.now();
  const requestId = newRequestId();
  const { ctx } = deps;
  let call: IncomingCall | undefined;
  let identity: KeyIdentity | undefined;
  let body: Buffer | undefined;
  let answer: HttpAnswer;
  let outcome = 'ok';
  let code: string | undefined;
  let personalIds: string[] = [];
  let trackingIds: string[] = [];
  let queued = false;
  let details: Record<string, unknown> | undefined;
  let outOfScope: OutOfScope | undefined;
  const client = { certSerial: peer.serial, remoteAddress: peer.remoteAddress };

  try {
    if (req.method === 'GET') {
      const doc = front.describe?.(meta, deps.publicUrl);
      if (!doc) throw noDocument(meta);
      writeAnswer(res, doc);
      requestsTotal.inc({ front: front.id, operation: 'describe', outcome: 'ok' });
      return;
    }
    if (req.method !== 'POST') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: req.method ?? '', path: meta.path });
    await deps.guard.assertNotLockedOut(client);
    body = await readBody(req, deps.limits.maxBodyBytes);
    call = front.readRequest(body, meta, deps.limits);
    try {
      identity = deps.keys.validate(call.credentials, peer, { front: front.id, operation: call.operation });
    } catch (err) {
      if (err instanceof GatewayError) {
        keyRejections.inc({ reason: err.internalReason ?? err.code });
        if (isGuess(err)) await deps.guard.noteInvalidKey(client);
      }
      throw err;
    }
    deps.keys.touch(identity.keyId);
    const release = deps.guard.acquireSlot(identity.keyId, identity.limits?.concurrentPerKey);
    try {
      const run = await execute(call, identity, { requestId, keyId: identity.keyId, softwareId: identity.softwareId, front: front.id }, deps);
      personalIds = run.personalIds;
      trackingIds = run.trackingIds;
      queued = run.queued;
      details = run.auditDetails;
      outOfScope = run.outOfScope;
      for (const r of run.result.results) recordsTotal.inc({ front: front.id, status: r.status });
      outcome = summarise(run.result.results.map((r) => r.status));
      answer = front.renderResult(call, run.result);
    } finally {
      release();
    }
  } catch (err) {
    const gErr = asGatewayError(err, ctx, requestId);
    code = gErr.code;
    outcome = 'refused';
    answer = front.renderError(gErr, call);
    answer = { ...answer, headers: { ...answer.headers, ...codingRefusalHeaders(gErr) } };
    if (req.method !== 'POST') answer = nonPostRefusal(answer, gErr, front);
  }

  // The trail keeps bodies without credentials: it digests, encrypts and exports what it is given.
  const kept = bodiesForAudit(front, meta, call, body, answer.body, ctx.log);
  const event = {
    kind: (outcome === 'refused' ? 'refusal' : 'exchange') as 'refusal' | 'exchange',
    requestId,
    trackingIds,
    certSubject: peer.subject,
    certSerial: peer.serial,
    keyId: identity?.keyId,
    softwareId: identity?.softwareId,
    unitCode: identity?.unitCode,
    front: front.id,
    operation: call?.vendorOperation,
    personalIds,
    outcome,
    code,
    latencyMs: Math.round(performance.now() - started),
    requestBytes: body?.length ?? 0,
    responseBytes: typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length,
    requestBody: kept.request,
    responseBody: kept.response,
    bodyRetention: identity?.bodyRetention ?? undefined,
    remoteAddress: peer.remoteAddress,
    details,
  };
  if (queued) {
    // The client is about to hear "accepted, queued": the trail must hold the exchange first.
    // If it cannot, the client is not told "accepted" (its records are safe in the outbox; a
    // resend is recognised by the idempotent delivery).
    try {
      await ctx.audit.recordDurable(event);
    } catch (err) {
      ctx.log.error('audit write failed before acknowledging queued records', { requestId, err: err as Error });
      answer = front.renderError(new GatewayError('LOI_HE_THONG', { requestId }, 'audit_unavailable'), call);
      outcome = 'refused';
    }
  } else {
    ctx.audit.record(event);
  }
  if (outOfScope && outOfScope.trackingIds.length > 0) {
    // Records refused for naming a unit outside the key's are a refusal of their own in the
    // trail (searchable by code, counted by the summaries), beside the exchange that carried them.
    ctx.audit.record({
      kind: 'refusal',
      requestId,
      trackingIds: outOfScope.trackingIds,
      certSubject: peer.subject,
      certSerial: peer.serial,
      keyId: identity?.keyId,
      softwareId: identity?.softwareId,
      unitCode: identity?.unitCode,
      front: front.id,
      operation: call?.vendorOperation,
      personalIds: outOfScope.personalIds,
      outcome: 'refused',
      code: 'DON_VI_NGOAI_PHAM_VI',
      details: { records: outOfScope.trackingIds.length, units: outOfScope.units },
      remoteAddress: peer.remoteAddress,
    });
  }
  writeAnswer(res, answer, { 'x-request-id': requestId });
  requestsTotal.inc({ front: front.id, operation: call?.vendorOperation ?? 'unknown', outcome });
  requestDuration.observe({ front: front.id }, (performance.now() - started) / 1000);
}

/** A GET the front has no document for: the bare service URL takes POST only; a query names nothing we serve. */
function noDocument(meta: RequestMeta): GatewayError {
  const query = meta.query.toString();
  if (query === '') return new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: 'GET', path: meta.path });
  return new GatewayError('KHONG_TIM_THAY', { path: `${meta.path}?${query}`.slice(0, 200) }, 'no document for this GET query');
}

/**
 * A GET (or any non-POST) is not a SOAP exchange: the rule that a SOAP fault travels with
 * HTTP 500 (1.1) or 400 (1.2) binds SOAP messages, which only a POST carries. A browser or a
 * tool asking the service URL for something it does not serve gets the refusal's own status
 * (404, 405 with Allow), the body still in the front's format.
 */
function nonPostRefusal(answer: HttpAnswer, err: GatewayError, front: VendorFront): HttpAnswer {
  const headers = { ...answer.headers };
  if (err.httpStatus === 405) headers.allow = front.describe ? 'GET, POST' : 'POST';
  return { ...answer, status: err.httpStatus, headers };
}

function summarise(statuses: string[]): string {
  if (statuses.length === 0) return 'ok';
  const set = new Set(statuses);
  if (set.size === 1) return statuses[0].toLowerCase();
  return 'mixed';
}
