/**
 * Unit re-mapping on the admin plane (/api/v1/admin/units…): the same loaders as the CLI
 * (`ndxp units remap load`, `ndxp units load`), so validation and audit records are identical.
 * network-admin loads (replace-all); network-admin and auditor read.
 */
import express, { Router, type Request, type Response } from 'express';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, problem, requireRole, str, route } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { GatewayError, OperatorError } from '../../core/errors.js';
import { vietnamDate } from '../../adapters/national/validate.js';
import { UnitDataError } from '../../adapters/national/remap.js';
import { listRemapRules, listUnits, loadRemapRules, loadUnitTree, removeRemapRule, resolveInStore, upsertRemapRule } from './service.js';

const int = (v: unknown): number | undefined => (typeof v === 'string' && /^[0-9]{1,7}$/.test(v) ? Number(v) : undefined);

const handler = (fn: (req: Request, res: Response) => Promise<void>) =>
  route(fn, (err, res) => {
    if (!(err instanceof UnitDataError)) return false;
    problem(res, new OperatorError('DU_LIEU_DON_VI_KHONG_HOP_LE', err.message), { errors: err.issues });
    return true;
  });

function router(ctx: AppContext): Router {
  const r = Router();
  const admin = requireRole('network-admin');
  const reader = requireRole('network-admin', 'auditor');
  // Parsers per route: other modules share the /api/v1/admin prefix.
  const rulesBody = express.json({ limit: '20mb' });
  const treeBody = express.json({ limit: '100mb' });

  r.get(
    '/units/remap-rules',
    reader,
    handler(async (_req, res) => {
      const rules = await listRemapRules(ctx);
      res.json({ count: rules.length, rules });
    }),
  );

  r.put(
    '/units/remap-rules',
    admin,
    rulesBody,
    handler(async (req, res) => {
      res.json(await loadRemapRules(ctx, req.body, adminCaller(res).actor));
    }),
  );

  r.post(
    '/units/remap-rules/rules',
    admin,
    express.json({ limit: '64kb' }),
    handler(async (req, res) => {
      const result = await upsertRemapRule(ctx, req.body, adminCaller(res).actor);
      res.status(result.replaced ? 200 : 201).json(result);
    }),
  );

  r.delete(
    '/units/remap-rules/rules/:id',
    admin,
    handler(async (req, res) => {
      const id = String(req.params.id);
      const found = /^[0-9]{1,15}$/.test(id) && (await removeRemapRule(ctx, Number(id), adminCaller(res).actor));
      if (!found) {
        problem(res, new GatewayError('QUY_TAC_KHONG_TON_TAI', { id }));
        return;
      }
      res.status(204).end();
    }),
  );

  r.get(
    '/units/resolve/:code',
    reader,
    handler(async (req, res) => {
      const at = str((req.query as Record<string, unknown>).date) ?? vietnamDate(new Date());
      res.json({ input: req.params.code, date: at, ...(await resolveInStore(ctx, String(req.params.code), at)) });
    }),
  );

  r.get(
    '/units',
    reader,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      res.json(await listUnits(ctx, { parent: str(q.parent), q: str(q.q), limit: int(q.limit) ?? 1000, offset: int(q.offset) }));
    }),
  );

  r.put(
    '/units',
    admin,
    treeBody,
    handler(async (req, res) => {
      res.json(await loadUnitTree(ctx, req.body, adminCaller(res).actor));
    }),
  );

  return r;
}

const problemRef = {
  type: 'object',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' } },
};
const issue = {
  type: 'object',
  properties: { pointer: { type: 'string' }, field: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
};
const unitDataProblem = {
  description: 'Tệp không hợp lệ; không có thay đổi nào (DU_LIEU_DON_VI_KHONG_HOP_LE)',
  content: { 'application/problem+json': { schema: { type: 'object', properties: { code: { type: 'string' }, title: { type: 'string' }, errors: { type: 'array', items: issue } } } } },
};
const rule = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    kind: { type: 'string', enum: ['exact', 'level1'] },
    maCu: { type: 'string' },
    maMoi: { type: 'string' },
    tuNgay: { type: 'string', format: 'date' },
    ghiChu: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
  },
};

export const unitsAdminModule: AdminModule = {
  name: 'units',
  router,
  openapi: {
    '/api/v1/admin/units/remap-rules': {
      get: {
        tags: ['units'],
        summary: 'Bảng quy tắc chuyển đổi mã đơn vị (sau sắp xếp 2025)',
        responses: { '200': { description: 'Các quy tắc', content: { 'application/json': { schema: { type: 'object', properties: { count: { type: 'integer' }, rules: { type: 'array', items: rule } } } } } } },
      },
      put: {
        tags: ['units'],
        summary: 'Nạp (thay toàn bộ) bảng quy tắc chuyển đổi mã đơn vị, dạng unit-remap.sample.json',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['rules'],
                properties: {
                  rules: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: { maCu: { type: 'string' }, maMoi: { type: 'string' }, maCap1Cu: { type: 'string' }, maCap1Moi: { type: 'string' }, tuNgay: { type: 'string' }, ghiChu: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
        responses: {
          '200': { description: 'Số quy tắc đã nạp', content: { 'application/json': { schema: { type: 'object', properties: { exact: { type: 'integer' }, level1: { type: 'integer' }, total: { type: 'integer' }, replaced: { type: 'integer' } } } } } },
          '403': { description: 'Không đủ quyền', content: { 'application/problem+json': { schema: problemRef } } },
          '422': unitDataProblem,
        },
      },
    },
    '/api/v1/admin/units/remap-rules/rules': {
      post: {
        tags: ['units'],
        summary: 'Thêm một quy tắc, hoặc sửa quy tắc có cùng loại và mã cũ',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', properties: { maCu: { type: 'string' }, maMoi: { type: 'string' }, maCap1Cu: { type: 'string' }, maCap1Moi: { type: 'string' }, tuNgay: { type: 'string' }, ghiChu: { type: 'string' } } } } },
        },
        responses: {
          '200': { description: 'Đã sửa quy tắc', content: { 'application/json': { schema: { type: 'object', properties: { rule, replaced: { type: 'boolean' } } } } } },
          '201': { description: 'Đã thêm quy tắc', content: { 'application/json': { schema: { type: 'object', properties: { rule, replaced: { type: 'boolean' } } } } } },
          '403': { description: 'Không đủ quyền', content: { 'application/problem+json': { schema: problemRef } } },
          '422': unitDataProblem,
        },
      },
    },
    '/api/v1/admin/units/remap-rules/rules/{id}': {
      delete: {
        tags: ['units'],
        summary: 'Xóa một quy tắc',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: {
          '204': { description: 'Đã xóa' },
          '403': { description: 'Không đủ quyền', content: { 'application/problem+json': { schema: problemRef } } },
          '404': { description: 'Không có quy tắc (QUY_TAC_KHONG_TON_TAI)', content: { 'application/problem+json': { schema: problemRef } } },
        },
      },
    },
    '/api/v1/admin/units/resolve/{code}': {
      get: {
        tags: ['units'],
        summary: 'Thử chuyển đổi một mã đơn vị theo bảng quy tắc và cây đơn vị hiện hành',
        parameters: [
          { name: 'code', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'date', in: 'query', required: false, schema: { type: 'string', format: 'date' } },
        ],
        responses: { '200': { description: '{code, ruleApplied?, warning?} hoặc {error}', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/api/v1/admin/units': {
      get: {
        tags: ['units'],
        summary: 'Cây đơn vị hiện hành',
        parameters: [
          { name: 'parent', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'q', in: 'query', required: false, description: 'Đầu mã hoặc một phần tên (không phân biệt dấu)', schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', default: 1000 } },
          { name: 'offset', in: 'query', required: false, schema: { type: 'integer', default: 0 } },
        ],
        responses: { '200': { description: 'Đơn vị (unit.schema.json)', content: { 'application/json': { schema: { type: 'object', properties: { total: { type: 'integer' }, units: { type: 'array', items: { type: 'object' } } } } } } } },
      },
      put: {
        tags: ['units'],
        summary: 'Nạp (thay toàn bộ) cây đơn vị hiện hành: mảng unit.schema.json hoặc {donVi: [...]} như API trung ương trả về',
        requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object', properties: { donVi: { type: 'array', items: { type: 'object' } } } }] } } } },
        responses: {
          '200': { description: 'Số đơn vị đã nạp và cảnh báo', content: { 'application/json': { schema: { type: 'object', properties: { units: { type: 'integer' }, withOldCodes: { type: 'integer' }, replaced: { type: 'integer' }, warnings: { type: 'array', items: issue } } } } } },
          '403': { description: 'Không đủ quyền', content: { 'application/problem+json': { schema: problemRef } } },
          '422': unitDataProblem,
        },
      },
    },
  },
};
