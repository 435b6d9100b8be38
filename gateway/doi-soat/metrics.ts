/**
 * Counters of the matching fetch, on the process registry (core/metrics.ts). The gauges of open
 * mismatches and of reconciled shares are read from the store when scraped, with the other
 * store gauges (gateway/store-gauges.ts).
 */
import client from 'prom-client';
import { registry } from '../../core/metrics.js';

export const resultsFetched = new client.Counter({
  name: 'ndxp_doi_soat_results_fetched_total',
  help: 'Matching results fetched from the central database, by outcome (KHOP, KHONG_KHOP, KHONG_TIM_THAY)',
  labelNames: ['ket_qua'] as const,
  registers: [registry],
});

export const fetchFailures = new client.Counter({
  name: 'ndxp_doi_soat_fetch_failures_total',
  help: 'Fetches of matching results that stopped (central outage, refusal), by code; the next fetch resumes where it stopped',
  labelNames: ['code'] as const,
  registers: [registry],
});
