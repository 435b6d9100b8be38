/**
 * The keys admin module over HTTP (supertest on an Express app). The admin server's certificate
 * authentication is the admin plane's job (tested there); here a caller of each role is placed
 * on res.locals.admin the way that authentication does, and the module's role rules, answers
 * and audit records are checked.
 */
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testContext } from './helpers/env.js';
import type { AdminCaller } from '../core/admin-module.js';
import type { AuditEvent } from '../core/audit-sink.js';
import { keysAdminModule } from '../gateway/keys/admin.js';
import { createKeyValidator } from '../gateway/keys/validator.js';

afterAll(cleanup);

const CALLERS: Record<string, AdminCaller> = {
  admin: { actor: 'CN=nguyen.van.a,OU=network-admin,O=ndxp-gateway', role: 'network-admin', certSerial: 'A1' },
  auditor: { actor: 'CN=tran.thi.b,OU=auditor,O=ndxp-gateway', role: 'auditor', certSerial: 'B2' },
};

describe.each(STORE_KINDS)('keys admin API on %s', (kind) => {
  async function setup() {
    const ctx = await testContext(kind);
    const events: AuditEvent[] = [];
    const real = ctx.audit;
    ctx.audit = { ...real, record: (e) => (events.push(e), real.record(e)) };
    const app = express();
    app.use((req, res, next) => {
      res.locals.admin = CALLERS[String(req.headers['x-test-caller'])];
      next();
    });
    app.use('/api/v1/admin', keysAdminModule.router(ctx));
    return { ctx, app, events };
  }

  it('network-admin manages keys; an auditor can only read; secrets appear only in create and rotate', async () => {
    const { ctx, app, events } = await setup();
    const as = (who: 'admin' | 'auditor') => ({
      get: (url: string) => request(app).get(url).set('x-test-caller', who),
      post: (url: string) => request(app).post(url).set('x-test-caller', who),
    });

    const created = await as('admin')
      .post('/api/v1/admin/keys')
      .send({ softwareId: 'JSON-HN', unitCode: '000.00.00.H26', vendor: 'json', operations: ['submitProfiles'], contactEmail: 'it@hanoi.gov.vn' });
    expect(created.status).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.headers.location).toBe(`/api/v1/admin/keys/${created.body.keyId}`);
    const { keyId, secret, connectionKey } = created.body as { keyId: string; secret: string; connectionKey: string };
    expect(connectionKey).toBe(`${keyId}.${secret}`);

    const validator = await createKeyValidator(ctx);
    try {
      expect(validator.validate({ key: connectionKey }, undefined, { front: 'json', operation: 'submitProfiles' }).keyId).toBe(keyId);
    } finally {
      await validator.stop();
    }

    const listed = await as('auditor').get('/api/v1/admin/keys?unit=000.00.00.H26');
    expect(listed.status).toBe(200);
    expect(listed.body.map((k: { keyId: string }) => k.keyId)).toEqual([keyId]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const shown = await as('auditor').get(`/api/v1/admin/keys/${keyId}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ keyId, status: 'active', contact: { email: 'it@hanoi.gov.vn' } });
    expect(shown.body).not.toHaveProperty('secret');

    // The auditor is read-only.
    for (const url of ['/api/v1/admin/keys', `/api/v1/admin/keys/${keyId}/suspend`, `/api/v1/admin/keys/${keyId}/rotate`, '/api/v1/admin/keys/import']) {
      const refused = await as('auditor').post(url).send({});
      expect(refused.status, url).toBe(403);
      expect(refused.body.code).toBe('KHONG_DUOC_PHEP');
    }
    expect((await request(app).get('/api/v1/admin/keys')).status).toBe(403); // no caller at all

    expect((await as('admin').post(`/api/v1/admin/keys/${keyId}/suspend`).send({ reason: 'Kiểm tra' })).body).toMatchObject({ status: 'suspended', statusReason: 'Kiểm tra' });
    expect((await as('admin').post(`/api/v1/admin/keys/${keyId}/activate`)).body).toMatchObject({ status: 'active' });
    const rotated = await as('admin').post(`/api/v1/admin/keys/${keyId}/rotate`).send({ grace: '1h' });
    expect(rotated.status).toBe(200);
    expect(rotated.headers['cache-control']).toBe('no-store');
    expect(rotated.body.secret).not.toBe(secret);
    expect((await as('admin').post(`/api/v1/admin/keys/${keyId}/rotate`).send({ grace: 'later' })).body).toMatchObject({ status: 400, code: 'THAM_SO_KHONG_HOP_LE' });
    expect((await as('admin').post(`/api/v1/admin/keys/${keyId}/cancel`).send({ reason: 'Thu hồi' })).body).toMatchObject({ status: 'cancelled' });
    const again = await as('admin').post(`/api/v1/admin/keys/${keyId}/activate`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('KHOA_DA_HUY');
    const missing = await as('auditor').get('/api/v1/admin/keys/KNNOSUCHKEY000');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('KHOA_KHONG_TON_TAI');
    const bad = await as('admin').post('/api/v1/admin/keys').send({ softwareId: 'X', unitCode: 'H', vendor: 'nope' });
    expect(bad.status).toBe(400);
    expect(bad.body.title).toContain('vendor');

    expect(events.filter((e) => e.outcome === 'ok').map((e) => e.operation)).toEqual(['keys.create', 'keys.suspend', 'keys.activate', 'keys.rotate', 'keys.cancel']);
    expect(events.every((e) => e.actor === CALLERS.admin.actor)).toBe(true);
    expect(JSON.stringify(events)).not.toContain(secret);
    expect(JSON.stringify(events)).not.toContain(rotated.body.secret);
  });

  it('imports JSON and CSV uploads, with dry run and strict mode', async () => {
    const { app } = await setup();
    const post = (url: string) => request(app).post(url).set('x-test-caller', 'admin');
    const list = [{ keyId: 'BNV-7', softwareId: 'HRM', unitCode: 'G01', vendor: 'vendor-b-jaxws', secret: 'ministry-secret-0000007' }];
    const dry = await post('/api/v1/admin/keys/import?dryRun=true').send(list);
    expect(dry.body).toMatchObject({ created: 1, applied: false, dryRun: true });
    const applied = await post('/api/v1/admin/keys/import').send({ keys: list });
    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ created: 1, applied: true });
    const csv = await post('/api/v1/admin/keys/import').set('content-type', 'text/csv').send('keyId,status\nBNV-7,suspended\nBNV-8,\n');
    expect(csv.status).toBe(200);
    expect(csv.body).toMatchObject({ format: 'csv', updated: 1, applied: true, errors: [expect.objectContaining({ row: 2, keyId: 'BNV-8' })] });
    const strict = await post('/api/v1/admin/keys/import?strict=true').set('content-type', 'text/csv').send('keyId,status\nBNV-7,cancelled\nBNV-8,\n');
    expect(strict.status).toBe(422);
    expect(strict.body).toMatchObject({ cancelled: 1, applied: false });
    const unreadable = await post('/api/v1/admin/keys/import').set('content-type', 'text/csv').send('keyId,colour\nBNV-7,red\n');
    expect(unreadable.status).toBe(400);
    expect(unreadable.body.code).toBe('TEP_NHAP_KHONG_HOP_LE');
    const shown = await request(app).get('/api/v1/admin/keys/BNV-7').set('x-test-caller', 'auditor');
    expect(shown.body.status).toBe('suspended');
  });
});

describe('keys admin OpenAPI', () => {
  it('describes every route the router serves', () => {
    const paths = keysAdminModule.openapi as Record<string, Record<string, { responses?: unknown; operationId?: string }>>;
    const expected: [string, string][] = [
      ['/api/v1/admin/keys', 'get'],
      ['/api/v1/admin/keys', 'post'],
      ['/api/v1/admin/keys/import', 'post'],
      ['/api/v1/admin/keys/{keyId}', 'get'],
      ['/api/v1/admin/keys/{keyId}/activate', 'post'],
      ['/api/v1/admin/keys/{keyId}/suspend', 'post'],
      ['/api/v1/admin/keys/{keyId}/cancel', 'post'],
      ['/api/v1/admin/keys/{keyId}/rotate', 'post'],
    ];
    for (const [p, method] of expected) {
      expect(paths[p]?.[method]?.responses, `${method} ${p}`).toBeTruthy();
    }
    const ids = Object.values(paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(paths).sort()).toEqual([...new Set(expected.map(([p]) => p))].sort());
  });
});
