/**
 * The audit admin routes, mounted as the admin server mounts them, with the caller placed on
 * res.locals.admin the way its certificate check does: auditors search, export, verify and read
 * kept bodies; a network-admin reads it too, and its reads are recorded.
 */
import { afterAll, describe, expect, it } from 'vitest';
import express from 'express';
import request from 'supertest';
import { cleanup, testConfig, testStore } from './helpers/env.js';
import { quietLogger } from '../core/log.js';
import { createAuditTrail } from '../gateway/audit/trail.js';
import { generateBodyKey } from '../gateway/audit/protect.js';
import { auditAdminModule } from '../gateway/audit/admin.js';
import type { AdminRole } from '../core/admin-module.js';
import type { AppContext } from '../core/context.js';
import { sampleEvent, sharedPki } from './audit-fixtures.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './helpers/env.js';
import { verifyBundle } from '../gateway/audit/bundle.js';
import { certFingerprint } from '../gateway/audit/chain.js';

afterAll(cleanup);

async function setup() {
  const config = testConfig('sqlite', { audit: { bodies: 'full', encryptionKeys: [generateBodyKey()], flushIntervalMs: 5 } });
  const store = await testStore('sqlite', config);
  const pki = await sharedPki();
  const audit = await createAuditTrail({ store, config, log: quietLogger(), nodeName: 'n1', signingIdentity: async () => pki.identity });
  for (let i = 1; i <= 12; i++) audit.record(sampleEvent(i));
  await audit.flush();
  await audit.checkpoint();
  const ctx = { config, store, log: quietLogger(), audit, nodeName: 'n1' } as AppContext;
  const app = (role: AdminRole) => {
    const a = express();
    a.use((_req, res, next) => {
      res.locals.admin = { actor: `CN=${role}-1,OU=${role}`, role, certSerial: role === 'auditor' ? 'AA01' : 'BB02' };
      next();
    });
    a.use('/api/v1/admin', auditAdminModule.router(ctx));
    return a;
  };
  return { ctx, auditor: app('auditor'), netadmin: app('network-admin'), audit, pki };
}

describe('audit admin module', () => {
  it('serves auditors and network-admins; a network-admin\'s reads are themselves in the trail', async () => {
    const { ctx, auditor, netadmin, audit, pki } = await setup();
    for (const [method, url] of [
      ['get', '/api/v1/admin/audit/entries'],
      ['get', '/api/v1/admin/audit/entries/3'],
      ['get', '/api/v1/admin/audit/summary'],
      ['post', '/api/v1/admin/audit/verify'],
    ] as const) {
      const res = await request(netadmin)[method](url);
      expect(res.status, url).toBe(200);
    }
    await audit.flush();
    const reads = await ctx.store.db.selectFrom('audit_entries').select(['operation', 'actor']).where('kind', '=', 'admin').where('operation', 'in', ['audit.search', 'audit.verify']).execute();
    expect(reads).toContainEqual({ operation: 'audit.search', actor: expect.stringContaining('network-admin') });
    expect(reads).toContainEqual({ operation: 'audit.verify', actor: expect.stringContaining('network-admin') });

    const page = await request(auditor).get('/api/v1/admin/audit/entries').query({ unit: '000.00.00.H26', limit: 2 });
    expect(page.status).toBe(200);
    expect(page.body.items.map((i: { seq: number }) => i.seq)).toEqual([1, 4]);
    expect(page.body.nextCursor).toBe(4);
    expect(page.body.items[0].hasRequestBody).toBe(true);
    expect(JSON.stringify(page.body)).not.toContain('request_body');

    const byId = await request(auditor).get('/api/v1/admin/audit/entries').query({ personalId: '001090010004' });
    expect(byId.body.items.map((i: { seq: number }) => i.seq)).toEqual([4]);
    const byBody = await request(auditor).post('/api/v1/admin/audit/search').send({ personalId: '001090010004', limit: 5 });
    expect(byBody.body.items.map((i: { seq: number }) => i.seq)).toEqual([4]);
    expect((await request(netadmin).post('/api/v1/admin/audit/search').send({})).status).toBe(200);

    const csv = await request(auditor).get('/api/v1/admin/audit/entries').query({ format: 'csv', kind: 'delivery' });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text.trim().split('\r\n')).toHaveLength(1 + 2); // header + seq 5, 10

    const jsonl = await request(auditor).get('/api/v1/admin/audit/entries').query({ format: 'jsonl' }).buffer(true).parse((res, cb) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => cb(null, data));
    });
    expect((jsonl.body as string).trim().split('\n').length).toBeGreaterThanOrEqual(12);

    const body = await request(auditor).get('/api/v1/admin/audit/entries/3/body/request').buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(body.status).toBe(200);
    expect((body.body as Buffer).toString('utf8')).toBe('<soap:Envelope>3</soap:Envelope>');
    expect(body.headers['cache-control']).toBe('no-store');

    const missing = await request(auditor).get('/api/v1/admin/audit/entries/999/body/request');
    expect(missing.status).toBe(404);
    const badTime = await request(auditor).get('/api/v1/admin/audit/entries').query({ from: 'hôm qua' });
    expect(badTime.status).toBe(400);

    const summary = await request(auditor).get('/api/v1/admin/audit/summary');
    expect(summary.body.refusalsByCode).toEqual([{ code: 'KHOA_KET_NOI_KHONG_HOP_LE', count: 1 }]);

    const verify = await request(auditor).post('/api/v1/admin/audit/verify');
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);

    const exp = await request(auditor)
      .get('/api/v1/admin/audit/export')
      .query({ from: '2026-11-20', to: '2026-11-20' })
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(exp.status).toBe(200);
    const file = path.join(tempDir(), 'dl.jsonl');
    writeFileSync(file, exp.body as Buffer);
    // Checkpoints here are signed by the test identity; the export itself by the gateway's own
    // audit identity (created on first use), whose CA travels in the bundle.
    const checked = await verifyBundle(file, { signerFingerprints: [certFingerprint(pki.identity.certDerBase64)] });
    expect(checked.bundleSigned).toBe(true);
    expect(checked.problem).toBeUndefined();
    expect(checked.entries).toBeGreaterThanOrEqual(12);

    // Reading bodies, searching and exporting are themselves in the trail, with the auditor's identity.
    await audit.flush();
    const own = await request(auditor).get('/api/v1/admin/audit/entries').query({ kind: 'admin', order: 'desc', limit: 50 });
    const ops = own.body.items.map((i: { operation: string; actor: string }) => `${i.operation}:${i.actor}`);
    expect(ops).toContain('audit.body.read:CN=auditor-1,OU=auditor');
    expect(ops).toContain('audit.export:CN=auditor-1,OU=auditor');
    expect(ops).toContain('audit.search:CN=auditor-1,OU=auditor');
    expect(JSON.stringify(own.body)).not.toContain('001090010004');
    await audit.close();
  });
});
