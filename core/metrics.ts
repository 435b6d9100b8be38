/**
 * Prometheus metrics of one process. With several data-plane workers (cluster), the primary
 * aggregates every worker's registry for /metrics on the admin plane.
 */
import client from 'prom-client';

export const registry = new client.Registry();
// prom-client's default metrics already start with `process_` / `nodejs_`: the prefix adds only
// our namespace (ndxp_process_cpu_seconds_total, not ndxp_process_process_cpu_seconds_total).
client.collectDefaultMetrics({ register: registry, prefix: 'ndxp_' });

export const requestsTotal = new client.Counter({
  name: 'ndxp_requests_total',
  help: 'Data-plane requests by front, operation and outcome',
  labelNames: ['front', 'operation', 'outcome'] as const,
  registers: [registry],
});

export const refusalsTotal = new client.Counter({
  name: 'ndxp_refusals_total',
  help: 'Data-plane refusals by front and machine code (KHOA_KET_NOI_KHONG_HOP_LE, XML_BI_TU_CHOI, VUOT_HAN_MUC, KHONG_TIM_THAY, …)',
  labelNames: ['front', 'code'] as const,
  registers: [registry],
});

export const requestDuration = new client.Histogram({
  name: 'ndxp_request_duration_seconds',
  help: 'Data-plane request latency, socket read to answer written, for every front and JSON route',
  labelNames: ['front', 'operation'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const recordsTotal = new client.Counter({
  name: 'ndxp_records_total',
  help: 'Records received by front and result (SYNCED, QUEUED, INVALID, STALE, ERROR)',
  labelNames: ['front', 'status'] as const,
  registers: [registry],
});

export const tlsHandshakeFailures = new client.Counter({
  name: 'ndxp_tls_handshake_failures_total',
  help: 'Refused TLS handshakes on the data plane by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const keyRejections = new client.Counter({
  name: 'ndxp_key_rejections_total',
  help: 'Refused connection keys by (internal) reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const unitScopeRefusals = new client.Counter({
  name: 'ndxp_unit_scope_refusals_total',
  help: "Refusals because a caller acted outside its connection key's unit: level call (a named sending unit), record (a record's unit), tracking (another unit's tracking id, answered as unknown)",
  labelNames: ['front', 'level'] as const,
  registers: [registry],
});

export const requestsAdmitted = new client.Gauge({
  name: 'ndxp_requests_admitted',
  help: 'Requests at work now (admitted, not yet answered); at NDXP_MAX_IN_FLIGHT per process the next one is refused',
  registers: [registry],
});

export const overloadRefusals = new client.Counter({
  name: 'ndxp_overload_refusals_total',
  help: 'Requests refused because the process already had its maximum of requests at work (CONG_KET_NOI_QUA_TAI, NDXP_MAX_IN_FLIGHT)',
  registers: [registry],
});

export const rateLimited = new client.Counter({
  name: 'ndxp_rate_limited_total',
  help: 'Requests refused by abuse protection by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const connectionsCut = new client.Counter({
  name: 'ndxp_connections_cut_total',
  help: 'Connections closed by the gateway by reason (revoked certificate, slow headers, timeouts)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const deliveryOutcomes = new client.Counter({
  name: 'ndxp_delivery_outcomes_total',
  help: 'Synchronous delivery outcomes seen by the data plane',
  labelNames: ['state'] as const,
  registers: [registry],
});

/** Maps an OpenSSL / Node TLS error to a short, bounded label. */
export function tlsFailureReason(err: NodeJS.ErrnoException & { reason?: string }): string {
  const code = String(err.code ?? '');
  const text = `${code} ${err.reason ?? ''} ${err.message ?? ''}`.toLowerCase();
  if (text.includes('peer did not return a certificate') || text.includes('certificate required')) return 'no_certificate';
  if (text.includes('revoked')) return 'revoked';
  if (text.includes('expired')) return 'expired';
  if (text.includes('not yet valid')) return 'not_yet_valid';
  if (text.includes('unknown ca') || text.includes('unable to get') || text.includes('self signed') || text.includes('self-signed')) return 'unknown_ca';
  if (text.includes('bad certificate') || text.includes('certificate verify failed')) return 'bad_certificate';
  if (text.includes('version') || text.includes('protocol')) return 'protocol_version';
  if (text.includes('cipher')) return 'no_shared_cipher';
  if (code === 'ECONNRESET') return 'reset';
  if (code === 'ERR_SSL_HTTP_REQUEST' || text.includes('http request')) return 'plain_http';
  return 'other';
}
