/**
 * Connection keys on the admin plane (/api/v1/admin/keys…): the CLI's verbs over REST, through
 * the same service, so rules and audit records are identical. network-admin manages keys; an
 * auditor may list and show them (never secrets: only create and rotate answers carry one, with
 * Cache-Control: no-store).
 */
import express, { Router, type Request, type Response } from 'express';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, problemResponse, requireRole, str, jsonBody, route } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { activateKey, cancelKey, createKey, importKeys, KeyServiceError, listKeys, rotateKey, showKey, suspendKey, type CreateKeyInput } from './service.js';
import { vendorIds } from '../../adapters/registry.js';
import { BODY_RETENTIONS, ENCODINGS, KEY_STATUSES, LIMIT_FIELDS, OPERATIONS } from './types.js';

const bool = (v: unknown): boolean => v === true || v === 'true' || v === '1';

const handler = (fn: (req: Request, res: Response) => Promise<void>) => route(fn);

const body = jsonBody;

function router(ctx: AppContext): Router {
  const r = Router();
  // Parsers per route, not router-wide: other modules share the /api/v1/admin prefix.
  const json = express.json({ limit: '1mb' });
  const importBody = [express.json({ limit: '20mb' }), express.text({ type: ['text/csv', 'text/plain'], limit: '20mb' })];
  const admin = requireRole('network-admin');
  const reader = requireRole('network-admin', 'auditor');

  r.get(
    '/keys',
    reader,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      res.json(await listKeys(ctx, { status: str(q.status), unit: str(q.unit), vendor: str(q.vendor), software: str(q.software) }));
    }),
  );

  r.post(
    '/keys',
    admin,
    json,
    handler(async (req, res) => {
      const created = await createKey(ctx, body(req) as unknown as CreateKeyInput, adminCaller(res).actor);
      res.status(201).set('Cache-Control', 'no-store').location(`/api/v1/admin/keys/${created.keyId}`).json(created);
    }),
  );

  r.post(
    '/keys/import',
    admin,
    ...importBody,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const isCsv = typeof req.body === 'string';
      if (!isCsv && (req.body === undefined || req.body === null || typeof req.body !== 'object')) {
        throw new KeyServiceError('TEP_NHAP_KHONG_HOP_LE', 'Gửi danh sách dạng application/json (mảng hoặc {"keys": [...]}) hoặc text/csv');
      }
      const report = await importKeys(
        ctx,
        { content: isCsv ? (req.body as string) : JSON.stringify(req.body), format: isCsv ? 'csv' : 'json', dryRun: bool(q.dryRun), strict: bool(q.strict) },
        adminCaller(res).actor,
      );
      res.status(report.errors.length && !report.applied && !report.dryRun ? 422 : 200).json(report);
    }),
  );

  r.get(
    '/keys/:keyId',
    reader,
    handler(async (req, res) => {
      res.json(await showKey(ctx, String(req.params.keyId)));
    }),
  );

  r.post(
    '/keys/:keyId/activate',
    admin,
    handler(async (req, res) => {
      res.json(await activateKey(ctx, String(req.params.keyId), adminCaller(res).actor));
    }),
  );

  r.post(
    '/keys/:keyId/suspend',
    admin,
    json,
    handler(async (req, res) => {
      res.json(await suspendKey(ctx, String(req.params.keyId), str(body(req).reason), adminCaller(res).actor));
    }),
  );

  r.post(
    '/keys/:keyId/cancel',
    admin,
    json,
    handler(async (req, res) => {
      res.json(await cancelKey(ctx, String(req.params.keyId), str(body(req).reason), adminCaller(res).actor));
    }),
  );

  r.post(
    '/keys/:keyId/rotate',
    admin,
    json,
    handler(async (req, res) => {
      const grace = body(req).grace;
      const rotated = await rotateKey(ctx, String(req.params.keyId), typeof grace === 'string' ? grace : undefined, adminCaller(res).actor);
      res.set('Cache-Control', 'no-store').json(rotated);
    }),
  );

  return r;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.1 path items

const nullableString = { type: ['string', 'null'] };

const keySchema = {
  type: 'object',
  required: ['keyId', 'softwareId', 'unitCode', 'vendor', 'encoding', 'operations', 'status', 'createdAt', 'updatedAt'],
  properties: {
    keyId: { type: 'string', examples: ['KNABCDEFGH2345'] },
    softwareId: { type: 'string' },
    unitCode: { type: 'string' },
    // The registry's own (growing) list, so the document names every registered front.
    vendor: { type: 'string', enum: vendorIds },
    encoding: { type: 'string', enum: [...ENCODINGS] },
    operations: { type: 'array', items: { type: 'string', enum: [...OPERATIONS] } },
    allOperations: { type: 'boolean', description: 'Every operation of the vendor, including ones added later' },
    certSerial: nullableString,
    certSubject: nullableString,
    status: { type: 'string', enum: [...KEY_STATUSES] },
    statusReason: nullableString,
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    expired: { type: 'boolean' },
    contact: {
      type: 'object',
      properties: { name: nullableString, agency: nullableString, phone: nullableString, email: nullableString },
    },
    bodyRetention: { type: ['string', 'null'], enum: [...BODY_RETENTIONS, null] },
    limits: { type: ['object', 'null'], properties: Object.fromEntries(LIMIT_FIELDS.map((f) => [f, { type: 'number', exclusiveMinimum: 0 }])) },
    source: { type: 'string', enum: ['local', 'import'] },
    previousSecretValidUntil: { type: ['string', 'null'], format: 'date-time', description: 'Until when the secret replaced by the last rotation keeps working' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
    cancelledAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

const keyWithSecretSchema = {
  allOf: [
    keySchema,
    {
      type: 'object',
      required: ['secret', 'connectionKey'],
      properties: {
        secret: { type: 'string', description: 'The secret part; shown only in this answer' },
        connectionKey: { type: 'string', description: 'What the client software is configured with: <keyId>.<secret>' },
      },
    },
  ],
};

const createSchema = {
  type: 'object',
  required: ['softwareId', 'unitCode', 'vendor'],
  properties: {
    softwareId: { type: 'string' },
    unitCode: { type: 'string' },
    vendor: { type: 'string', enum: vendorIds },
    encoding: { type: 'string', enum: [...ENCODINGS], default: 'unicode' },
    operations: { type: 'array', items: { type: 'string', enum: [...OPERATIONS] }, description: 'Default: every operation of the vendor' },
    certSerial: { type: 'string' },
    certSubject: { type: 'string', examples: ['CN=qlcb-a,O=So Noi vu'] },
    expires: { type: 'string', description: '2026-12-31 (valid through that day, Vietnam time), 31/12/2026 or an ISO 8601 instant' },
    contactName: { type: 'string' },
    contactAgency: { type: 'string' },
    contactPhone: { type: 'string' },
    contactEmail: { type: 'string', format: 'email' },
    bodyRetention: { type: 'string', enum: [...BODY_RETENTIONS] },
    limits: { type: 'object', properties: Object.fromEntries(LIMIT_FIELDS.map((f) => [f, { type: 'number', exclusiveMinimum: 0 }])) },
  },
};

const importReportSchema = {
  type: 'object',
  properties: {
    format: { type: 'string', enum: ['csv', 'json'] },
    rows: { type: 'integer' },
    created: { type: 'integer' },
    updated: { type: 'integer' },
    cancelled: { type: 'integer' },
    unchanged: { type: 'integer' },
    dryRun: { type: 'boolean' },
    applied: { type: 'boolean' },
    errors: {
      type: 'array',
      items: { type: 'object', properties: { row: { type: 'integer' }, line: { type: 'integer' }, keyId: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } } },
    },
    changes: {
      type: 'array',
      items: {
        type: 'object',
        properties: { row: { type: 'integer' }, keyId: { type: 'string' }, action: { type: 'string', enum: ['created', 'updated', 'cancelled', 'unchanged'] }, fields: { type: 'array', items: { type: 'string' } } },
      },
    },
  },
};

const keyIdParam = { name: 'keyId', in: 'path', required: true, schema: { type: 'string' } };
const reasonBody = { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } } };
const keyAnswer = (description: string) => ({ description, content: { 'application/json': { schema: keySchema } } });
const tags = ['keys'];
const common = { '403': problemResponse('Vai trò không được phép'), '404': problemResponse('Không tìm thấy mã kết nối (KHOA_KHONG_TON_TAI)') };

const openapi: Record<string, unknown> = {
  '/api/v1/admin/keys': {
    get: {
      tags,
      summary: 'Liệt kê mã kết nối (network-admin, auditor)',
      operationId: 'listKeys',
      parameters: [
        { name: 'status', in: 'query', schema: { type: 'string', enum: [...KEY_STATUSES] } },
        { name: 'unit', in: 'query', schema: { type: 'string' } },
        { name: 'vendor', in: 'query', schema: { type: 'string', enum: vendorIds } },
        { name: 'software', in: 'query', schema: { type: 'string' } },
      ],
      responses: { '200': { description: 'Danh sách', content: { 'application/json': { schema: { type: 'array', items: keySchema } } } }, '403': common['403'] },
    },
    post: {
      tags,
      summary: 'Cấp mã kết nối mới; khóa bí mật chỉ có trong câu trả lời này (network-admin)',
      operationId: 'createKey',
      requestBody: { required: true, content: { 'application/json': { schema: createSchema } } },
      responses: {
        '201': { description: 'Đã cấp', content: { 'application/json': { schema: keyWithSecretSchema } } },
        '400': problemResponse('Thông tin không hợp lệ (THAM_SO_KHONG_HOP_LE)'),
        '403': common['403'],
      },
    },
  },
  '/api/v1/admin/keys/import': {
    post: {
      tags,
      summary: 'Nhập danh sách mã đã kích hoạt / đã hủy của Bộ Nội vụ, áp dụng lũy đẳng (network-admin)',
      operationId: 'importKeys',
      parameters: [
        { name: 'dryRun', in: 'query', schema: { type: 'boolean' }, description: 'Chỉ báo cáo, không thay đổi gì' },
        { name: 'strict', in: 'query', schema: { type: 'boolean' }, description: 'Không nhập gì nếu có dòng lỗi' },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'object', properties: { keys: { type: 'array', items: { type: 'object' } } } }] } },
          'text/csv': { schema: { type: 'string' } },
        },
      },
      responses: {
        '200': { description: 'Báo cáo nhập (kể cả dòng lỗi khi không ở chế độ strict)', content: { 'application/json': { schema: importReportSchema } } },
        '400': problemResponse('Tệp không đọc được (TEP_NHAP_KHONG_HOP_LE)'),
        '422': { description: 'Chế độ strict: có dòng lỗi, không nhập gì', content: { 'application/json': { schema: importReportSchema } } },
        '403': common['403'],
      },
    },
  },
  '/api/v1/admin/keys/{keyId}': {
    get: { tags, summary: 'Xem một mã kết nối (network-admin, auditor)', operationId: 'showKey', parameters: [keyIdParam], responses: { '200': keyAnswer('Mã kết nối'), ...common } },
  },
  '/api/v1/admin/keys/{keyId}/activate': {
    post: {
      tags,
      summary: 'Kích hoạt lại mã đang tạm khóa (network-admin)',
      operationId: 'activateKey',
      parameters: [keyIdParam],
      responses: { '200': keyAnswer('Đã kích hoạt (changed=false nếu đã đang hoạt động)'), ...common, '409': problemResponse('Mã đã hủy: không thể kích hoạt lại (KHOA_DA_HUY)') },
    },
  },
  '/api/v1/admin/keys/{keyId}/suspend': {
    post: {
      tags,
      summary: 'Tạm khóa mã kết nối (network-admin)',
      operationId: 'suspendKey',
      parameters: [keyIdParam],
      requestBody: reasonBody,
      responses: { '200': keyAnswer('Đã tạm khóa'), ...common, '409': problemResponse('Mã đã hủy (KHOA_DA_HUY)') },
    },
  },
  '/api/v1/admin/keys/{keyId}/cancel': {
    post: {
      tags,
      summary: 'Hủy mã kết nối vĩnh viễn (network-admin)',
      operationId: 'cancelKey',
      parameters: [keyIdParam],
      requestBody: reasonBody,
      responses: { '200': keyAnswer('Đã hủy'), ...common },
    },
  },
  '/api/v1/admin/keys/{keyId}/rotate': {
    post: {
      tags,
      summary: 'Đổi khóa bí mật; khóa cũ còn hiệu lực trong thời gian ân hạn (network-admin)',
      operationId: 'rotateKey',
      parameters: [keyIdParam],
      requestBody: {
        required: false,
        content: { 'application/json': { schema: { type: 'object', properties: { grace: { type: 'string', examples: ['24h', '30m', '7d', '0'] } } } } },
      },
      responses: {
        '200': { description: 'Khóa mới (chỉ hiển thị một lần)', content: { 'application/json': { schema: keyWithSecretSchema } } },
        '400': problemResponse('Thời gian ân hạn không hợp lệ'),
        ...common,
        '409': problemResponse('Mã đã hủy (KHOA_DA_HUY)'),
      },
    },
  },
};

export const keysAdminModule: AdminModule = { name: 'keys', router, openapi };
