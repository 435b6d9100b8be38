/**
 * The one end of every data-plane exchange, whatever route it took: render a refusal in the
 * caller's own protocol, write the audit trail (durably first when records were queued), write
 * the answer, count the metrics. Stages only record facts on the Exchange; this is the only
 * place that turns them into trail entries, answers and counters.
 */
import type { VendorFront } from '../../adapters/types.js';
import type { AuditEvent } from '../../core/audit-sink.js';
import type { AppContext } from '../../core/context.js';
import { codingRefusalHeaders } from '../../core/content-coding.js';
import { GatewayError } from '../../core/errors.js';
import { problemAnswer, writeAnswer, type HttpAnswer } from '../../core/http.js';
import { refusalsTotal, requestDuration, requestsTotal } from '../../core/metrics.js';
import type { Exchange } from './exchange.js';
import { bodiesForAudit } from './redact.js';
import { noteShed } from './shed-report.js';

export async function epilogue(x: Exchange, ctx: AppContext): Promise<void> {
  if (x.error) {
    // Drain what the caller still sends so the refusal can be written on this connection.
    x.req.resume();
    x.answer = refusalAnswer(x, x.error);
  }
  if (x.shed) {
    // Refused at admission (overload): summed into one trail entry per interval (shed-report.ts).
    noteShed(ctx, x);
  } else if (x.trail === 'all' || (x.trail === 'refusals' && x.error)) {
    const event = auditEvent(x, ctx);
    if (x.queued) {
      // The client is about to hear "accepted, queued": the trail must hold the exchange first.
      // If it cannot, the client is not told "accepted" (its records are safe in the outbox; a
      // resend is recognised by the idempotent delivery).
      try {
        await ctx.audit.recordDurable(event);
      } catch (err) {
        ctx.log.error('Không ghi được nhật ký kiểm toán trước khi báo đã nhận hồ sơ', { requestId: x.requestId, err: err as Error });
        x.answer = refusalAnswer(x, new GatewayError('LOI_HE_THONG', { requestId: x.requestId }, 'audit_unavailable'));
        x.outcome = 'refused';
      }
    } else {
      ctx.audit.record(event);
    }
  }
  if (x.outOfScope && x.outOfScope.trackingIds.length > 0) {
    // Records refused for naming a unit outside the key's are a refusal of their own in the
    // trail (searchable by code, counted by the summaries), beside the exchange that carried them.
    ctx.audit.record({
      kind: 'refusal',
      requestId: x.requestId,
      trackingIds: x.outOfScope.trackingIds,
      certSubject: x.peer?.subject,
      certSerial: x.peer?.serial,
      keyId: x.identity?.keyId,
      softwareId: x.identity?.softwareId,
      unitCode: x.identity?.unitCode,
      front: x.trailFront,
      operation: x.operation,
      personalIds: x.outOfScope.personalIds,
      outcome: 'refused',
      code: 'DON_VI_NGOAI_PHAM_VI',
      details: { records: x.outOfScope.trackingIds.length, units: x.outOfScope.units },
      remoteAddress: x.peer?.remoteAddress,
    });
  }
  if (x.relay && !x.error) {
    x.res.setHeader('x-request-id', x.requestId);
    await x.relay(x.req, x.res);
  } else {
    writeAnswer(x.res, x.answer!, x.closeAfter ? { connection: 'close', 'x-request-id': x.requestId } : { 'x-request-id': x.requestId });
    if (x.closeAfter) x.res.once('finish', () => x.req.socket.destroy());
  }
  const seconds = (performance.now() - x.started) / 1000;
  if (x.counted) requestsTotal.inc({ front: x.front, operation: x.operation ?? 'unknown', outcome: x.outcome });
  if (x.error) refusalsTotal.inc({ front: x.front, code: x.error.code });
  if (x.counted && x.timed) requestDuration.observe({ front: x.front, operation: x.operation ?? 'unknown' }, seconds);
  if (!x.shed) accessLine(x, ctx, seconds);
}

/**
 * The one access line of the exchange: info when it went through, warn when it was refused or
 * some of its records were (invalid, refused by the central database, MaKetQua 9), error for an
 * internal fault (its stack was logged where it was caught). Flat fields with stable names.
 */
function accessLine(x: Exchange, ctx: AppContext, seconds: number): void {
  const err = x.error;
  const recordsFailed = x.recordCodes !== undefined;
  const level = err ? (err.code === 'LOI_HE_THONG' ? 'error' : 'warn') : recordsFailed ? 'warn' : 'info';
  if (!ctx.log.enabled(level)) return;
  const fields = {
    kind: 'access',
    requestId: x.requestId,
    front: x.front,
    operation: x.trailOperation ?? x.operation,
    method: x.req.method,
    path: x.meta.path,
    unit: x.identity?.unitCode,
    keyId: x.identity?.keyId,
    certSerial: x.peer?.serial,
    remoteAddress: x.peer?.remoteAddress ?? x.req.socket.remoteAddress,
    outcome: x.outcome,
    status: x.res.statusCode,
    code: err?.code ?? x.recordCodes?.[0],
    reason: err?.internalReason,
    records: x.recordCount,
    recordStatus: x.recordStatus,
    recordCodes: x.recordCodes,
    latencyMs: Math.round(seconds * 1000),
  };
  if (level === 'info') ctx.log.info('Đã xử lý yêu cầu', fields);
  else if (level === 'warn') ctx.log.warn(err ? 'Từ chối yêu cầu' : 'Có hồ sơ không được đồng bộ', fields);
  else ctx.log.error('Lỗi hệ thống khi xử lý yêu cầu', fields);
}

function auditEvent(x: Exchange, ctx: AppContext): AuditEvent {
  const answer = x.answer;
  // The trail keeps a front's bodies without credentials: it digests, encrypts and exports what
  // it is given. The JSON endpoints' bodies (a token request carries a client secret) are not kept.
  const kept = x.protocol && answer ? bodiesForAudit(x.protocol, x.meta, x.call, x.body, answer.body, ctx.log) : undefined;
  const identity = x.identity;
  return {
    kind: x.error ? 'refusal' : 'exchange',
    requestId: x.requestId,
    trackingIds: x.trackingIds,
    certSubject: x.peer?.subject,
    certSerial: x.peer?.serial,
    keyId: identity?.keyId,
    softwareId: identity?.softwareId,
    unitCode: identity?.unitCode,
    front: x.trailFront,
    operation: x.trailOperation ?? x.operation,
    personalIds: x.personalIds,
    outcome: x.outcome,
    code: x.error?.code,
    latencyMs: Math.round(performance.now() - x.started),
    requestBytes: x.body?.length ?? 0,
    responseBytes: answer ? (typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length) : undefined,
    requestBody: kept?.request,
    responseBody: kept?.response,
    bodyRetention: identity?.bodyRetention ?? undefined,
    remoteAddress: x.peer?.remoteAddress ?? x.req.socket.remoteAddress,
    // A JSON endpoint's refusal says why in the trail (its internal reason); a front's trail
    // entry has its bodies instead.
    details: x.details ?? (x.error?.internalReason && !x.protocol ? { reason: x.error.internalReason } : undefined),
  };
}

/** A refusal in the caller's protocol: the route's own form, the front's fault, or a JSON problem. */
function refusalAnswer(x: Exchange, err: GatewayError): HttpAnswer {
  if (x.route.refusal) return x.route.refusal(err, x);
  if (!x.protocol) return problemAnswer(err, x.requestId);
  const answer = x.protocol.renderError(err, x.call);
  const headers = { ...answer.headers, ...codingRefusalHeaders(err) };
  if (x.req.method === 'POST') return { ...answer, headers };
  return nonPostRefusal({ ...answer, headers }, err, x.protocol);
}

/**
 * A GET (or any non-POST) is not a SOAP exchange: the rule that a SOAP fault travels with
 * HTTP 500 (1.1) or 400 (1.2) binds SOAP messages, which only a POST carries. A browser or a
 * tool asking the service URL for something it does not serve gets the refusal's own status
 * (404, 405 with Allow), the body still in the front's format.
 */
function nonPostRefusal(answer: HttpAnswer, err: GatewayError, front: VendorFront): HttpAnswer {
  const headers = err.httpStatus === 405 ? { ...answer.headers, allow: front.describe ? 'GET, POST' : 'POST' } : answer.headers;
  return { ...answer, status: err.httpStatus, headers };
}
