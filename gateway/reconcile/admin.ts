/**
 * Admin API of reconciliation (mounted under /api/v1/admin): reconcile one unit (a resend is for
 * network-admins and recorded in the audit trail), and the last result of every unit.
 */
import express from 'express';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, jsonBody, requireRole, route, str } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { DoiSoatError } from '../doi-soat/errors.js';
import { lastRuns, reconcileUnit } from './service.js';

function router(ctx: AppContext): express.Router {
  const r = express.Router();
  r.use(express.json({ limit: '16kb' }));

  r.get('/reconcile', requireRole('network-admin', 'auditor'), route(async (_req, res) => {
    res.json({ units: await lastRuns(ctx) });
  }));

  r.post('/reconcile', requireRole('network-admin', 'auditor'), route(async (req, res) => {
    const body = jsonBody(req);
    const unit = str(body.unit);
    if (!unit) throw new DoiSoatError('YEU_CAU_KHONG_HOP_LE', 'Cần unit (mã đơn vị)');
    const resend = body.resend === true;
    if (resend && adminCaller(res).role !== 'network-admin') throw new DoiSoatError('KHONG_DUOC_PHEP', 'Chỉ quản trị mạng (network-admin) được gửi lại hồ sơ');
    res.json(await reconcileUnit(ctx, unit, { resend, verbose: body.verbose === true, actor: adminCaller(res).actor }));
  }));
  return r;
}

const problemInline = { description: 'Lỗi (RFC 9457)', content: { 'application/problem+json': { schema: { type: 'object' } } } };
const counts = {
  type: 'object',
  properties: Object.fromEntries(['total', 'complete', 'missingAtCentre', 'centreBehind', 'differs', 'unknownToGateway', 'centreAhead', 'underOldCodes', 'resent'].map((k) => [k, { type: 'integer' }]).concat([['unit', { type: 'string' }], ['share', { type: 'number' }]] as never)),
};

export const reconcileAdminModule: AdminModule = {
  name: 'reconcile',
  router,
  openapi: {
    '/api/v1/admin/reconcile': {
      get: { tags: ['reconcile'], summary: 'Kết quả đối chiếu gần nhất của từng đơn vị', responses: { '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { units: { type: 'array', items: counts } } } } } }, '403': problemInline } },
      post: {
        tags: ['reconcile'],
        summary: 'Đối chiếu một đơn vị với CSDL quốc gia; resend (network-admin) đưa lại vào hàng đợi hồ sơ thiếu hoặc cũ hơn',
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['unit'], properties: { unit: { type: 'string' }, resend: { type: 'boolean' }, verbose: { type: 'boolean' } } } } } },
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: counts } } }, '400': problemInline, '403': problemInline, '404': problemInline, '503': problemInline },
      },
    },
  },
};
