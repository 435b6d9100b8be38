/**
 * The admin plane's health endpoints over real TLS: without a client certificate they say ready
 * or not and which checks fail, nothing internal (no store path, Redis URL, host name or error
 * text); an admin certificate sees the details.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { cleanup, onCleanup } from './helpers/env.js';
import { startHarness, type Harness } from './helpers/gateway.js';
import { startAdminPlane } from '../gateway/admin/server.js';
import { createCertWatcher } from '../certs/watch.js';
import { serverTlsMaterial } from '../certs/material.js';

let h: Harness;

function anonymous(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: h.ca }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(cleanup);

describe('health endpoints reveal nothing internal without an admin certificate', () => {
  it('/readyz and /healthz without a certificate: status and check names only', async () => {
    const ready = await anonymous(`${h.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = JSON.parse(ready.text);
    expect(body).toEqual({ status: 'ready', checks: { store: { ok: true }, redis: { ok: true }, certificates: { ok: true } } });
    expect(ready.text).not.toContain(h.ctx.config.dataDir);
    expect(ready.text).not.toContain('sqlite');
    expect(ready.text).not.toContain('redis://');
    const health = await anonymous(`${h.adminUrl}/healthz`);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
    expect(health.text).not.toContain(h.ctx.nodeName);
  });

  it('a legacy client certificate is not an admin one: still no details', async () => {
    const legacy = await h.legacyClient({ vendor: 'json', softwareId: 'HEALTH-NOT-ADMIN' });
    const ready = await legacy.request(`${h.adminUrl}/readyz`);
    expect(ready.text).not.toContain('redis://');
    expect(ready.text).not.toContain(h.ctx.config.dataDir);
  });

  it('an admin certificate sees the store, the Redis URL and the node', async () => {
    const auditor = await h.adminClient('auditor');
    const ready = (await auditor.request(`${h.adminUrl}/readyz`)).json();
    expect(ready.status).toBe('ready');
    expect(ready.checks.store.backend).toBe(h.ctx.store.describe);
    expect(ready.checks.redis.url).toMatch(/^redis:\/\//);
    expect(ready.checks.certificates).toMatchObject({ ok: true, loaded: true });
    expect((await auditor.request(`${h.adminUrl}/healthz`)).json()).toEqual({ status: 'ok', node: h.ctx.nodeName });
  });

  it('a failing check: anonymous callers learn its name only, admins its error', async () => {
    const secret = `connect ECONNREFUSED redis://ops:pw@10.9.8.7:6380 (${h.ctx.config.dataDir}/x.sock)`;
    const plane = await startAdminPlane(
      h.ctx,
      {
        tlsMaterial: () => serverTlsMaterial(h.ctx, 'admin'),
        certs: await createCertWatcher(h.ctx),
        modules: [],
        metrics: async () => ({ contentType: 'text/plain', body: '' }),
        readiness: [
          { name: 'store', check: async () => ({ backend: h.ctx.store.describe }) },
          {
            name: 'redis',
            check: async () => {
              throw new Error(secret);
            },
          },
        ],
      },
      '127.0.0.1:0',
    );
    onCleanup(() => plane.close());
    const url = `https://127.0.0.1:${plane.port}/readyz`;
    const anon = await anonymous(url);
    expect(anon.status).toBe(503);
    expect(JSON.parse(anon.text)).toEqual({ status: 'not-ready', checks: { store: { ok: true }, redis: { ok: false } } });
    expect(anon.text).not.toContain('10.9.8.7');
    const admin = await h.adminClient('network-admin');
    const detailed = await admin.request(url);
    expect(detailed.status).toBe(503);
    expect(detailed.json().checks.redis).toEqual({ ok: false, error: secret });
  });
});
