/**
 * Requests refused at admission (overload), summed: one trail entry and one warn line per
 * interval and process with how many were refused, by front and by client certificate, instead
 * of one each. Under a flood of thousands of refusals a second, writing each to the trail and the
 * log would cost more than answering it, and a caller could grow the append-only trail at will.
 * Each refusal is still counted as it happens (ndxp_overload_refusals_total, ndxp_refusals_total).
 */
import type { AppContext } from '../../core/context.js';
import type { Exchange } from './exchange.js';

/** How often the sums are written. */
export const SHED_REPORT_INTERVAL_MS = 10_000;
/** Certificates named in one entry (the busiest), so the entry stays small whatever the flood. */
const MAX_CERTIFICATES = 20;

interface Window {
  since: number;
  refused: number;
  byFront: Map<string, number>;
  byCertificate: Map<string, number>;
  timer: NodeJS.Timeout;
}

const windows = new WeakMap<AppContext, Window>();

/** Counts one refusal at admission; the first of a window starts its timer. */
export function noteShed(ctx: AppContext, x: Exchange): void {
  let w = windows.get(ctx);
  if (!w) {
    const timer = setTimeout(() => flushShed(ctx), SHED_REPORT_INTERVAL_MS);
    timer.unref();
    w = { since: Date.now(), refused: 0, byFront: new Map(), byCertificate: new Map(), timer };
    windows.set(ctx, w);
  }
  w.refused++;
  w.byFront.set(x.front, (w.byFront.get(x.front) ?? 0) + 1);
  const cert = x.peer?.serial ?? 'none';
  if (w.byCertificate.has(cert) || w.byCertificate.size < 10 * MAX_CERTIFICATES) w.byCertificate.set(cert, (w.byCertificate.get(cert) ?? 0) + 1);
}

/** Writes the window's sums (one trail entry, one log line) and starts a new window. */
export function flushShed(ctx: AppContext): void {
  const w = windows.get(ctx);
  if (!w) return;
  windows.delete(ctx);
  clearTimeout(w.timer);
  const byCertificate = Object.fromEntries([...w.byCertificate].sort((a, b) => b[1] - a[1]).slice(0, MAX_CERTIFICATES));
  const details = { refused: w.refused, since: new Date(w.since).toISOString(), until: new Date().toISOString(), byFront: Object.fromEntries(w.byFront), byCertificate };
  ctx.audit.record({ kind: 'refusal', outcome: 'refused', code: 'CONG_KET_NOI_QUA_TAI', operation: 'admission', details });
  ctx.log.warn('Từ chối yêu cầu vì cổng kết nối quá tải', { kind: 'access', code: 'CONG_KET_NOI_QUA_TAI', ...details });
}
