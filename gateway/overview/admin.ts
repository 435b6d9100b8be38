/**
 * GET /api/v1/admin/overview: the summary the console's Overview page draws (see overview.ts).
 * Both admin roles read it: it carries counts and durations only, no traffic content.
 */
import { Router } from 'express';
import type { AdminModule } from '../../core/admin-module.js';
import { requireRole, route, str } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { computeOverview } from './overview.js';

function router(ctx: AppContext): Router {
  const r = Router();
  r.get(
    '/overview',
    requireRole('network-admin', 'auditor'),
    route(async (req, res) => {
      const raw = str(req.query.hours);
      if (raw !== undefined && !/^\d{1,3}$/.test(raw)) throw Object.assign(new Error('hours phải là số giờ nguyên từ 1 đến 744'), { status: 400, code: 'YEU_CAU_KHONG_HOP_LE' });
      res.set('Cache-Control', 'no-store').json(await computeOverview(ctx, { hours: raw === undefined ? undefined : Number(raw) }));
    }),
  );
  return r;
}

const series = { type: 'object', properties: { buckets: { type: 'array', items: { type: 'integer' } }, series: { type: 'object', additionalProperties: { type: 'array', items: { type: 'integer' } } } } };

export const overviewAdminModule: AdminModule = {
  name: 'overview',
  router,
  openapi: {
    '/api/v1/admin/overview': {
      get: {
        tags: ['overview'],
        summary: 'Tổng quan: lưu lượng theo cổng vào và đơn vị, từ chối theo lý do, độ trễ, hàng đợi, thư chết, cầu dao, chứng thư và mã sắp hết hạn, kết nối CSDL quốc gia (network-admin, auditor)',
        operationId: 'overview',
        parameters: [{ name: 'hours', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 744, default: 24 }, description: 'Khoảng thời gian của biểu đồ (giờ)' }],
        responses: {
          '200': {
            description: 'Số liệu tổng hợp (không có nội dung trao đổi)',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    generatedAt: { type: 'string', format: 'date-time' },
                    from: { type: 'string', format: 'date-time' },
                    to: { type: 'string', format: 'date-time' },
                    bucketMinutes: { type: 'integer' },
                    traffic: { type: 'object', properties: { perFront: series, perUnit: series, total: { type: 'integer' } } },
                    refusals: { type: 'array', items: { type: 'object', properties: { code: { type: 'string' }, count: { type: 'integer' } } } },
                    latency: { type: 'object', description: 'Phân vị độ trễ (ms) theo khoảng và toàn kỳ' },
                    queue: { type: 'object', description: 'Như /api/v1/admin/queue/status' },
                    deadLetters: { type: 'object', properties: { count: { type: 'integer' }, latest: { type: 'array', items: { type: 'object' } } } },
                    expiring: { type: 'object', properties: { withinDays: { type: 'integer' }, certificates: { type: 'array', items: { type: 'object' } }, keys: { type: 'array', items: { type: 'object' } } } },
                    central: { type: 'object', properties: { reachable: { type: 'boolean' }, checkedAt: { type: 'string' }, latencyMs: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' }, detail: { type: 'string' } } },
                  },
                },
              },
            },
          },
          '400': { description: 'hours không hợp lệ', content: { 'application/problem+json': { schema: { type: 'object' } } } },
          '403': { description: 'Vai trò không được phép', content: { 'application/problem+json': { schema: { type: 'object' } } } },
        },
      },
    },
  },
};
