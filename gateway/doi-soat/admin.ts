/**
 * Admin API of the matching results (mounted under /api/v1/admin): summary, mismatches, a
 * fetch now (network-admin; recorded in the audit trail), and the unit's Excel workbook.
 * Personal ids are masked in listings (the workbook, for the unit's HR staff, has them whole).
 */
import express, { type Request, type Response } from 'express';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, requireRole, route, str } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { maskPersonalId } from '../delivery/status.js';
import { DoiSoatError } from './errors.js';
import { fetchResults, listMismatches, summary } from './service.js';
import { writeReport } from './report.js';

function router(ctx: AppContext): express.Router {
  const r = express.Router();
  r.use(express.json({ limit: '16kb' }));
  const read = requireRole('network-admin', 'auditor');

  r.get('/doi-soat/summary', read, route(async (req, res) => {
    res.json(await summary(ctx, { unit: str(req.query.unit) }));
  }));

  r.get('/doi-soat/mismatches', read, route(async (req, res) => {
    const state = str(req.query.state) ?? 'open';
    const limit = req.query.limit === undefined ? 1000 : Number(req.query.limit);
    if (!['open', 'closed', 'all'].includes(state)) throw new DoiSoatError('YEU_CAU_KHONG_HOP_LE', 'state phải là open, closed hoặc all');
    if (!Number.isInteger(limit) || limit <= 0 || limit > 100_000) throw new DoiSoatError('YEU_CAU_KHONG_HOP_LE', 'limit phải là số nguyên từ 1 đến 100000');
    const list = await listMismatches(ctx, { unit: str(req.query.unit), state: state as 'open', limit });
    res.json({ mismatches: list.map((m) => ({ ...m, soDinhDanh: maskPersonalId(m.soDinhDanh) })) });
  }));

  r.post('/doi-soat/fetch', requireRole('network-admin'), route(async (req, res) => {
    const unit = str((req.body as { unit?: unknown } | undefined)?.unit);
    const report = await fetchResults(ctx, unit ? { units: [unit] } : {});
    ctx.audit.record({ kind: 'admin', front: 'admin', operation: 'doi-soat.fetch', actor: adminCaller(res).actor, target: unit ?? '*', outcome: report.units.some((u) => u.error) ? 'error' : 'ok', details: { fetched: report.fetched } });
    res.json(report);
  }));

  r.get('/doi-soat/report', read, route(async (req: Request, res: Response) => {
    const unit = str(req.query.unit);
    if (!unit) throw new DoiSoatError('YEU_CAU_KHONG_HOP_LE', 'Cần tham số unit (mã đơn vị)');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-doi-soat-'));
    try {
      const file = path.join(dir, 'doi-soat.xlsx');
      await writeReport(ctx, unit, file);
      res.setHeader('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      res.setHeader('content-disposition', `attachment; filename="doi-soat-${unit.replace(/[^0-9A-Za-z.]/g, '_')}.xlsx"`);
      res.end(readFileSync(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));
  return r;
}

const problemInline = { description: 'Lỗi (RFC 9457)', content: { 'application/problem+json': { schema: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' } } } } } };
const unitParam = { name: 'unit', in: 'query', schema: { type: 'string' }, description: 'Mã đơn vị (kể cả đơn vị trực thuộc)' };
const ok = { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } };

export const doiSoatAdminModule: AdminModule = {
  name: 'doi-soat',
  router,
  openapi: {
    '/api/v1/admin/doi-soat/summary': { get: { tags: ['doi-soat'], summary: 'Tổng hợp kết quả đối soát với CSDL dân cư và chênh lệch đang mở', parameters: [unitParam], responses: { '200': ok, '403': problemInline } } },
    '/api/v1/admin/doi-soat/mismatches': {
      get: {
        tags: ['doi-soat'],
        summary: 'Các trường lệch với CSDL dân cư (số định danh được che)',
        parameters: [unitParam, { name: 'state', in: 'query', schema: { type: 'string', enum: ['open', 'closed', 'all'], default: 'open' } }, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 } }],
        responses: { '200': ok, '400': problemInline, '403': problemInline },
      },
    },
    '/api/v1/admin/doi-soat/fetch': {
      post: {
        tags: ['doi-soat'],
        summary: 'Lấy ngay kết quả đối soát mới (network-admin)',
        requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { unit: { type: 'string' } } } } } },
        responses: { '200': ok, '403': problemInline },
      },
    },
    '/api/v1/admin/doi-soat/report': {
      get: {
        tags: ['doi-soat'],
        summary: 'Bảng Excel các hồ sơ cần sửa của một đơn vị',
        parameters: [{ ...unitParam, required: true }],
        responses: { '200': { description: 'Tệp .xlsx', content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {} } }, '400': problemInline, '403': problemInline },
      },
    },
  },
};
