/**
 * Delivery's Prometheus metrics, on the process registry (core/metrics.ts): every attempt
 * with its outcome and latency, records per call, dead letters, and this process's breaker.
 */
import client from 'prom-client';
import { registry } from '../../core/metrics.js';
import type { BreakerState } from './breaker.js';

export const deliveryAttempts = new client.Counter({
  name: 'ndxp_delivery_attempts_total',
  help: 'Records sent to the central database, by operation and outcome (delivered, stale, rejected, retry, dead)',
  labelNames: ['operation', 'outcome'] as const,
  registers: [registry],
});

export const deliveryCallDuration = new client.Histogram({
  name: 'ndxp_delivery_call_duration_seconds',
  help: 'Latency of calls to the central database by operation',
  labelNames: ['operation'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const deliveryBatchSize = new client.Histogram({
  name: 'ndxp_delivery_batch_records',
  help: 'Records per profiles:batch call',
  buckets: [2, 5, 10, 25, 50, 100, 250, 500],
  registers: [registry],
});

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

export const deliveryBreaker = new client.Gauge({
  name: 'ndxp_delivery_breaker_state',
  help: "This process's circuit breaker in front of the central database: 0 closed, 1 half-open, 2 open (the node's worst worker)",
  registers: [registry],
  // The cluster primary merges its workers' registries: the node's value is its worst breaker
  // (two open breakers read 2, not 4). Prometheus's `instance` label tells the nodes apart.
  aggregator: 'max',
});

export function setBreakerMetric(state: BreakerState): void {
  deliveryBreaker.set(BREAKER_VALUE[state]);
}
