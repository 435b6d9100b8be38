/**
 * Metrics and dashboards (issue 10): the gauges read from the store (queue by state, dead
 * letters, oldest waiting, certificate days left, keys by status), request duration for every
 * front and JSON route, no doubled `process_process` prefix, a breaker gauge the cluster merge
 * does not add up, and the shipped Grafana dashboard and Prometheus alert rules naming only
 * metrics the gateway's /metrics exposes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AggregatorRegistry } from 'prom-client';
import { cleanup, REPO } from './helpers/env.js';
import { startHarness, type Harness, type LegacyClient, type TlsClient } from './helpers/gateway.js';
import { registry } from '../core/metrics.js';
import { setBreakerMetric } from '../gateway/delivery/metrics.js';

let h: Harness;
let j: LegacyClient;
let admin: TlsClient;
let exposition = '';

/** Names the exposition declares, with a histogram's and a summary's series names. */
function declared(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1] + s);
    if (m[2] === 'summary') for (const s of ['_sum', '_count']) names.add(m[1] + s);
  }
  return names;
}
const metricNames = (expr: string): string[] => [...expr.matchAll(/\bndxp_[a-z0-9_]+/g)].map((m) => m[0]);
const sample = (text: string, name: string, labels: Record<string, string> = {}): number | undefined => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
};

beforeAll(async () => {
  h = await startHarness();
  j = await h.legacyClient({ vendor: 'json', softwareId: 'J-METRICS', unitCode: '000.00.00.H06' });
  admin = await h.adminClient('network-admin');
  expect((await j.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': j.connectionKey } })).status).toBe(200);
  expect((await j.request(`${h.url}/api/v1/whoami`)).status).toBe(401);
  const res = await admin.request(`${h.adminUrl}/metrics`);
  expect(res.status).toBe(200);
  exposition = res.text;
}, 120_000);

afterAll(cleanup);

describe('/metrics', () => {
  it('has the store gauges: queue by state, dead letters, oldest waiting, certificate days left, keys by status', () => {
    for (const name of ['ndxp_queue_records', 'ndxp_queue_dead_letters', 'ndxp_queue_oldest_waiting_seconds', 'ndxp_certificate_days_left', 'ndxp_connection_keys']) {
      expect(declared(exposition), name).toContain(name);
    }
    expect(sample(exposition, 'ndxp_connection_keys', { status: 'active' })).toBeGreaterThanOrEqual(1);
    expect(sample(exposition, 'ndxp_queue_dead_letters')).toBe(0);
    expect(sample(exposition, 'ndxp_queue_oldest_waiting_seconds')).toBe(0);
    const days = sample(exposition, 'ndxp_certificate_days_left', { kind: 'client', cn: 'J-METRICS' });
    expect(days).toBeGreaterThan(30);
  });

  it('times the JSON routes too, by front and operation, and counts refusals by code', () => {
    expect(sample(exposition, 'ndxp_request_duration_seconds_count', { front: 'json', operation: 'whoami' })).toBeGreaterThanOrEqual(2);
    expect(sample(exposition, 'ndxp_refusals_total', { front: 'json', code: 'KHOA_KET_NOI_KHONG_HOP_LE' })).toBeGreaterThanOrEqual(1);
  });

  it('names the process metrics once: ndxp_process_…, never ndxp_process_process_…', () => {
    expect(exposition).toContain('ndxp_process_cpu_seconds_total');
    expect(exposition).not.toContain('process_process');
  });

  it('merges the workers of a node without adding up breakers: two open breakers read 2 (open), not 4', async () => {
    setBreakerMetric('open');
    try {
      const worker = await registry.getMetricsAsJSON();
      const merged = await AggregatorRegistry.aggregate([worker, worker]).metrics();
      expect(sample(merged, 'ndxp_delivery_breaker_state')).toBe(2);
      // Store-read gauges are the same in every worker: taken once, not doubled.
      expect(sample(merged, 'ndxp_connection_keys', { status: 'active' })).toBe(sample(await registry.metrics(), 'ndxp_connection_keys', { status: 'active' }));
    } finally {
      setBreakerMetric('closed');
    }
  });
});

describe('the shipped dashboard and alert rules', () => {
  const dashboard = JSON.parse(readFileSync(path.join(REPO, 'ops/grafana/ndxp-gateway.json'), 'utf8'));
  // JSON-compatible YAML: the `#` comment lines, then one JSON document.
  const alertsText = readFileSync(path.join(REPO, 'ops/prometheus/alerts.yml'), 'utf8');
  const alerts = JSON.parse(alertsText.replace(/^#.*$/gm, ''));

  it('every metric the dashboard queries exists in /metrics', () => {
    const exprs: string[] = dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    const known = declared(exposition);
    for (const name of exprs.flatMap(metricNames)) expect(known, name).toContain(name);
  });

  it('alerts on an open breaker, dead letters, a record waiting > 10 min, a certificate < 30 days and a refusal spike, with metrics that exist', () => {
    const rules: { alert: string; expr: string; annotations: { summary: string } }[] = alerts.groups.flatMap((g: { rules: unknown[] }) => g.rules);
    const known = declared(exposition);
    for (const r of rules) for (const name of metricNames(r.expr)) expect(known, `${r.alert}: ${name}`).toContain(name);
    const byMetric = (m: string) => rules.find((r) => r.expr.includes(m));
    expect(byMetric('ndxp_delivery_breaker_state')?.expr).toContain('== 2');
    expect(byMetric('ndxp_queue_dead_letters')?.expr).toContain('> 0');
    expect(byMetric('ndxp_queue_oldest_waiting_seconds')?.expr).toContain('> 600');
    expect(byMetric('ndxp_certificate_days_left')?.expr).toContain('< 30');
    expect(byMetric('ndxp_refusals_total')).toBeDefined();
    for (const r of rules) expect(r.annotations.summary).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/);
  });
});
