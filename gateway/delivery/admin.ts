/**
 * Admin API of delivery (mounted under /api/v1/admin): the queue's status, dead letters,
 * replay, discard, and what became of one record. Reading is open to both admin roles (an
 * auditor follows a record's fate); replay and discard change what is sent, so they are for
 * network-admins only and are recorded in the audit trail with the caller's certificate subject.
 */
import express from 'express';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, problemResponse, requireRole, route } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { listDead, maskPersonalId, queueStatus } from './status.js';
import { discard, QueueActionError, replayDead } from './operations.js';
import { getRow, toTrackingState } from './outbox.js';

export function queueRouter(ctx: AppContext): express.Router {
  const router = express.Router();
  // Per route, not router-wide: every admin module's router sees every /api/v1/admin request.
  const json = express.json({ limit: '16kb' });

  router.get(
    '/queue/status',
    requireRole('network-admin', 'auditor'),
    route(async (_req, res) => {
      res.json(await queueStatus(ctx));
    }),
  );

  router.get(
    '/queue/dead',
    requireRole('network-admin', 'auditor'),
    route(async (req, res) => {
      const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
      if (!Number.isInteger(limit) || limit <= 0 || limit > 10_000) throw new QueueActionError('YEU_CAU_KHONG_HOP_LE', 'limit phải là số nguyên từ 1 đến 10000');
      res.json({ dead: await listDead(ctx, { limit, unit: typeof req.query.unit === 'string' ? req.query.unit : undefined }) });
    }),
  );

  router.post(
    '/queue/replay',
    requireRole('network-admin'),
    json,
    route(async (req, res) => {
      const body = (req.body ?? {}) as { trackingId?: unknown; all?: unknown; unit?: unknown };
      const hasId = typeof body.trackingId === 'string' && body.trackingId.length > 0;
      if (hasId === (body.all === true)) throw new QueueActionError('YEU_CAU_KHONG_HOP_LE', 'Cần đúng một trong hai: trackingId hoặc all: true');
      const target = hasId ? { trackingId: body.trackingId as string } : { all: true as const, unit: typeof body.unit === 'string' ? body.unit : undefined };
      const result = await replayDead(ctx, target, adminCaller(res).actor);
      res.json({ ...result, count: result.replayed.length });
    }),
  );

  router.post(
    '/queue/:trackingId/discard',
    requireRole('network-admin'),
    json,
    route(async (req, res) => {
      const reason = (req.body as { reason?: unknown } | undefined)?.reason;
      res.json(await discard(ctx, String(req.params.trackingId), typeof reason === 'string' ? reason : '', adminCaller(res).actor));
    }),
  );

  router.get(
    '/tracking/:trackingId',
    requireRole('network-admin', 'auditor'),
    route(async (req, res) => {
      const row = await getRow(ctx.store.db, String(req.params.trackingId));
      if (!row) throw new QueueActionError('MA_THEO_DOI_KHONG_TON_TAI', `Không tìm thấy mã theo dõi ${String(req.params.trackingId)}`);
      const state = toTrackingState(row);
      if (state.soDinhDanh) state.soDinhDanh = maskPersonalId(state.soDinhDanh);
      res.json({ ...state, unitCode: row.unit_code, kind: row.kind, reason: row.reason ?? undefined, httpStatus: row.http_status ?? undefined, nextAttemptAt: Number(row.next_attempt_at) || undefined });
    }),
  );

  return router;
}

const refusal = problemResponse();

const breakerSchema = {
  type: 'object',
  properties: {
    node: { type: 'string' },
    state: { type: 'string', enum: ['closed', 'open', 'half-open'] },
    consecutiveFailures: { type: 'integer' },
    openedAt: { type: 'integer', description: 'epoch ms' },
    probeAt: { type: 'integer', description: 'epoch ms: lần thử tiếp theo' },
    lastError: { type: 'string' },
    updatedAt: { type: 'integer' },
    stale: { type: 'boolean', description: 'Nút không còn gửi tín hiệu 90 giây: tiến trình đã dừng hoặc bị treo' },
  },
};

const trackingSchema = {
  type: 'object',
  required: ['trackingId', 'state', 'attempts', 'createdAt', 'updatedAt'],
  properties: {
    trackingId: { type: 'string' },
    state: { type: 'string', enum: ['invalid', 'pending', 'queued', 'delivering', 'delivered', 'stale', 'rejected', 'dead', 'superseded', 'discarded'] },
    attempts: { type: 'integer' },
    lastError: { type: 'string' },
    central: { type: 'object', description: 'KetQua của CSDL quốc gia' },
    errors: { type: 'array', items: { type: 'object' } },
    soDinhDanh: { type: 'string', description: 'Che một phần' },
    recordId: { type: 'string' },
    unitCode: { type: 'string' },
    kind: { type: 'string', enum: ['profile', 'unit'] },
    reason: { type: 'string', description: 'Lý do vào hàng lỗi / bị hủy' },
    httpStatus: { type: 'integer' },
    nextAttemptAt: { type: 'integer' },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
    deliveredAt: { type: 'integer' },
  },
};

const idParam = { name: 'trackingId', in: 'path', required: true, schema: { type: 'string' } };

export const queueAdminModule: AdminModule = {
  name: 'queue',
  router: queueRouter,
  openapi: {
    '/api/v1/admin/queue/status': {
      get: {
        tags: ['queue'],
        summary: 'Tình trạng hàng đợi: số hồ sơ theo trạng thái, hồ sơ chờ lâu nhất, tốc độ gửi, cầu dao từng nút, Redis',
        responses: {
          '200': {
            description: 'OK',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    mode: { type: 'string', enum: ['redis', 'embedded'], description: 'embedded: không dùng Redis, hàng đợi nằm trong kho dữ liệu' },
                    depth: { type: 'object', additionalProperties: { type: 'integer' } },
                    waiting: { type: 'integer' },
                    oldestWaiting: { type: 'object', properties: { trackingId: { type: 'string' }, createdAt: { type: 'string', format: 'date-time' }, ageSeconds: { type: 'integer' } } },
                    ratePerMinute: { type: 'object', properties: { last1: { type: 'number' }, last5: { type: 'number' }, last15: { type: 'number' } } },
                    breakers: { type: 'array', items: breakerSchema },
                    redis: { type: 'object', properties: { reachable: { type: 'boolean' }, jobs: { type: 'object', additionalProperties: { type: 'integer' } }, code: { type: 'string', enum: ['REDIS_KHONG_KET_NOI', 'REDIS_KHONG_PHAN_HOI'] }, message: { type: 'string' } } },
                  },
                },
              },
            },
          },
          '403': refusal,
        },
      },
    },
    '/api/v1/admin/queue/dead': {
      get: {
        tags: ['queue'],
        summary: 'Hồ sơ trong hàng lỗi (dead letter) và lý do',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } },
          { name: 'unit', in: 'query', schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'OK',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    dead: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          trackingId: { type: 'string' },
                          kind: { type: 'string' },
                          soDinhDanh: { type: 'string' },
                          maDinhDanh: { type: 'string' },
                          unitCode: { type: 'string' },
                          attempts: { type: 'integer' },
                          reason: { type: 'string' },
                          lastError: { type: 'string' },
                          httpStatus: { type: 'integer' },
                          createdAt: { type: 'string', format: 'date-time' },
                          deadSince: { type: 'string', format: 'date-time' },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          '400': refusal,
          '403': refusal,
        },
      },
    },
    '/api/v1/admin/queue/replay': {
      post: {
        tags: ['queue'],
        summary: 'Đưa hồ sơ từ hàng lỗi trở lại hàng đợi (network-admin; ghi nhật ký kiểm toán)',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                oneOf: [
                  { type: 'object', required: ['trackingId'], properties: { trackingId: { type: 'string' } } },
                  { type: 'object', required: ['all'], properties: { all: { const: true }, unit: { type: 'string' } } },
                ],
              },
            },
          },
        },
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { replayed: { type: 'array', items: { type: 'string' } }, count: { type: 'integer' } } } } } },
          '400': refusal,
          '403': refusal,
          '404': refusal,
          '409': refusal,
        },
      },
    },
    '/api/v1/admin/queue/{trackingId}/discard': {
      post: {
        tags: ['queue'],
        summary: 'Hủy gửi một hồ sơ đang chờ hoặc trong hàng lỗi, có nêu lý do (network-admin; ghi nhật ký kiểm toán)',
        parameters: [idParam],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1 } } } } } },
        responses: {
          '200': { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: { trackingId: { type: 'string' }, previousState: { type: 'string' } } } } } },
          '400': refusal,
          '403': refusal,
          '404': refusal,
          '409': refusal,
        },
      },
    },
    '/api/v1/admin/tracking/{trackingId}': {
      get: {
        tags: ['queue'],
        summary: 'Trạng thái gửi của một hồ sơ theo mã theo dõi',
        parameters: [idParam],
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: trackingSchema } } }, '403': refusal, '404': refusal },
      },
    },
  },
};
