/**
 * Admin API of abuse protection: the lockouts of key guessing (list; lift one) and the current
 * rate-limit settings and counters of this node. Listing is open to both admin roles (an auditor
 * investigating a lockout needs to see it); lifting changes what clients may do, so it is for
 * network-admins only and is recorded in the audit trail.
 */
import express, { type Request, type Response } from 'express';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, problem, problemResponse, requireRole } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { GatewayError, OperatorError } from '../../core/errors.js';
import { LockoutStoreUnavailable, rateLimiterFor, type RateLimiter } from './index.js';

/** A refusal; when the shared lockout store is down, with the lockouts this node still knows. */
function fail(res: Response, err: unknown): void {
  problem(res, err, err instanceof LockoutStoreUnavailable ? { lockoutsOnThisNode: err.lockoutsOnThisNode } : undefined);
}

export function rateLimitRouter(limiter: () => RateLimiter, ctx: AppContext): express.Router {
  const router = express.Router();

  router.get('/lockouts', requireRole('network-admin', 'auditor'), async (_req: Request, res: Response) => {
    try {
      res.json({ lockouts: await limiter().listLockouts() });
    } catch (err) {
      fail(res, err);
    }
  });

  router.delete('/lockouts/:id', requireRole('network-admin'), async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!/^(cert|addr):.+$/.test(id)) {
      problem(res, new OperatorError('YEU_CAU_KHONG_HOP_LE', 'Mã tạm khóa phải có dạng cert:<SERIAL> hoặc addr:<địa chỉ>'));
      return;
    }
    try {
      const lifted = await limiter().liftLockout(id, adminCaller(res).actor);
      if (!lifted) {
        problem(res, new GatewayError('KHONG_TIM_THAY_TAM_KHOA', { id }));
        return;
      }
      res.json({ lifted });
    } catch (err) {
      fail(res, err);
    }
  });

  router.get('/rate-limits', requireRole('network-admin', 'auditor'), (_req: Request, res: Response) => {
    res.json({ settings: ctx.config.rateLimit, node: ctx.nodeName, stats: limiter().stats() });
  });

  return router;
}

const lockoutSchema = {
  type: 'object',
  required: ['id', 'kind', 'subject', 'level', 'failures', 'durationSeconds', 'lockedAt', 'lockedUntil', 'retryAfterSeconds', 'source'],
  properties: {
    id: { type: 'string', description: 'cert:<SERIAL> hoặc addr:<địa chỉ>', examples: ['cert:1A2B3C'] },
    kind: { type: 'string', enum: ['cert', 'addr'] },
    subject: { type: 'string', description: 'Số hiệu chứng thư hoặc địa chỉ IP' },
    level: { type: 'integer', description: 'Lần tạm khóa thứ mấy liên tiếp (thời gian khóa = cơ sở × 2^(level−1))' },
    failures: { type: 'integer' },
    durationSeconds: { type: 'integer' },
    lockedAt: { type: 'string', format: 'date-time' },
    lockedUntil: { type: 'string', format: 'date-time' },
    retryAfterSeconds: { type: 'integer' },
    lastRemoteAddress: { type: 'string' },
    source: { type: 'string', enum: ['redis', 'memory'], description: 'memory: chỉ nút này biết (Redis đang mất kết nối)' },
  },
};


/** The admin module the admin plane mounts; it uses the rate limiter this process built for ctx. */
export const rateLimitAdminModule: AdminModule = {
  name: 'ratelimit',
  router: (ctx) => {
    let limiter: RateLimiter | undefined;
    // Resolved on first use so the data plane's limiter (created for the same ctx) is the one shown.
    return rateLimitRouter(() => (limiter ??= rateLimiterFor(ctx)), ctx);
  },
  openapi: {
    '/api/v1/admin/lockouts': {
      get: {
        tags: ['ratelimit'],
        summary: 'Danh sách kết nối đang bị tạm khóa do nhập sai mã kết nối',
        operationId: 'listLockouts',
        responses: {
          '200': {
            description: 'Các lệnh tạm khóa đang hiệu lực',
            content: { 'application/json': { schema: { type: 'object', properties: { lockouts: { type: 'array', items: lockoutSchema } } } } },
          },
          '403': problemResponse('Vai trò không được phép'),
          '503': problemResponse('Redis không kết nối được (REDIS_KHONG_KET_NOI) hoặc không trả lời (REDIS_KHONG_PHAN_HOI); kèm các lệnh tạm khóa chỉ nút này biết'),
        },
      },
    },
    '/api/v1/admin/lockouts/{id}': {
      delete: {
        tags: ['ratelimit'],
        summary: 'Gỡ một lệnh tạm khóa (network-admin; ghi vào nhật ký kiểm toán)',
        operationId: 'liftLockout',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^(cert|addr):.+$' } }],
        responses: {
          '200': { description: 'Đã gỡ', content: { 'application/json': { schema: { type: 'object', properties: { lifted: lockoutSchema } } } } },
          '400': problemResponse('Mã tạm khóa không hợp lệ'),
          '403': problemResponse('Vai trò không được phép'),
          '404': problemResponse('Không có lệnh tạm khóa đang hiệu lực'),
          '503': problemResponse('Redis không kết nối được (REDIS_KHONG_KET_NOI) hoặc không trả lời (REDIS_KHONG_PHAN_HOI)'),
        },
      },
    },
    '/api/v1/admin/rate-limits': {
      get: {
        tags: ['ratelimit'],
        summary: 'Cấu hình giới hạn tần suất và bộ đếm của nút này',
        operationId: 'rateLimitStatus',
        responses: {
          '200': {
            description: 'Cấu hình và thống kê',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { settings: { type: 'object' }, node: { type: 'string' }, stats: { type: 'object' } },
                },
              },
            },
          },
          '403': problemResponse('Vai trò không được phép'),
        },
      },
    },
  },
};
