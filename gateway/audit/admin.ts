/**
 * The audit trail on the admin plane (/api/v1/admin/audit…): search (JSON pages, or every match
 * as CSV / JSON Lines), one entry, summaries, chain verification, bundle export, and reading a
 * kept body. Auditor role only: roles are disjoint, and a network-admin, who manages keys and
 * certificates, must not be able to read traffic or review the log of their own actions.
 * Every search, export and body read is itself recorded in the trail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express, { Router, type Request, type Response } from 'express';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, problemResponse, requireRole, str, route } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { OperatorError } from '../../core/errors.js';
import { auditSummary, csvHeader, csvRow, getEntry, jsonlRow, searchAll, searchAudit, toView, type AuditFilters } from './search.js';
import { exportBundle, verifyChain } from './verify.js';
import { readAuditBody } from './bodies.js';
import { parseTimeArg, TimeArgumentError } from './time.js';
import { listArchiveFiles } from './archive.js';
import type { AuditTrail } from './trail.js';


const handler = (fn: (req: Request, res: Response) => Promise<void>) => route(fn);

function intParam(v: unknown, name: string): number | undefined {
  const s = str(v);
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new TimeArgumentError(`${name} phải là số nguyên không âm`);
  return Number(s);
}

/** The `from` / `to` parameters as epoch ms (THAM_SO_KHONG_HOP_LE for a time that is none). */
function timeRange(q: Record<string, unknown>): { from?: number; to?: number } {
  return { from: parseTimeArg(str(q.from), 'from', 'from'), to: parseTimeArg(str(q.to), 'to', 'to') };
}

function filtersOf(q: Record<string, unknown>): AuditFilters {
  return {
    ...timeRange(q),
    kind: str(q.kind),
    unit: str(q.unit),
    key: str(q.key),
    cert: str(q.cert),
    software: str(q.software),
    front: str(q.front),
    operation: str(q.operation),
    outcome: str(q.outcome),
    code: str(q.code),
    personalId: str(q.personalId),
    trackingId: str(q.trackingId),
    requestId: str(q.requestId),
    actor: str(q.actor),
  };
}

/** What the trail records about a search: the filters, never the personal id typed. */
function loggedFilters(f: AuditFilters): Record<string, unknown> {
  return Object.fromEntries(Object.entries({ ...f, personalId: f.personalId ? '(đã nhập)' : undefined }).filter(([, v]) => v !== undefined));
}

const archiveFiles = (ctx: AppContext): string[] => listArchiveFiles(ctx.config);

function router(ctx: AppContext): Router {
  const r = Router();
  // Auditors, and network-admins too (issue 11: a network-admin sees everything). Every read is
  // itself an entry of the trail under the reader's certificate, so an auditor sees who read what.
  const auditor = requireRole('auditor', 'network-admin');

  r.get(
    '/audit/entries',
    auditor,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const filters = filtersOf(q);
      const format = str(q.format) ?? 'json';
      if (!['json', 'jsonl', 'csv'].includes(format)) throw new TimeArgumentError('format phải là json, jsonl hoặc csv');
      const caller = adminCaller(res);
      ctx.audit.record({ kind: 'admin', actor: caller.actor, certSerial: caller.certSerial, operation: 'audit.search', outcome: 'ok', details: { filters: loggedFilters(filters), format } });
      if (format === 'json') {
        const order = str(q.order) === 'desc' ? 'desc' : 'asc';
        res.json(await searchAudit(ctx.store, ctx.config, filters, { limit: intParam(q.limit, 'limit') ?? 100, cursor: intParam(q.cursor, 'cursor'), order }));
        return;
      }
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      res.status(200);
      res.set('Cache-Control', 'no-store');
      if (format === 'csv') {
        res.type('text/csv; charset=utf-8').attachment(`nhat-ky-${stamp}.csv`);
        res.write('\ufeff' + csvHeader());
      } else {
        res.type('application/x-ndjson; charset=utf-8').attachment(`nhat-ky-${stamp}.jsonl`);
      }
      const max = intParam(q.limit, 'limit') ?? Infinity;
      for await (const item of searchAll(ctx.store, ctx.config, filters, max)) {
        if (!res.write(format === 'csv' ? csvRow(item) : jsonlRow(item))) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    }),
  );

  // The same search with the filters in a JSON body: a personal id then never appears in a URL
  // (URLs end up in proxy and access logs).
  r.post(
    '/audit/search',
    auditor,
    express.json({ limit: '64kb' }),
    handler(async (req, res) => {
      const b = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      const asString = Object.fromEntries(Object.entries(b).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]));
      const filters = filtersOf(asString);
      const caller = adminCaller(res);
      ctx.audit.record({ kind: 'admin', actor: caller.actor, certSerial: caller.certSerial, operation: 'audit.search', outcome: 'ok', details: { filters: loggedFilters(filters), format: 'json' } });
      const order = asString.order === 'desc' ? 'desc' : 'asc';
      res.json(await searchAudit(ctx.store, ctx.config, filters, { limit: intParam(asString.limit, 'limit') ?? 100, cursor: intParam(asString.cursor, 'cursor'), order }));
    }),
  );

  r.get(
    '/audit/entries/:seq',
    auditor,
    handler(async (req, res) => {
      const seq = intParam(req.params.seq, 'seq')!;
      const row = await getEntry(ctx.store, seq);
      if (!row) throw new OperatorError('KHONG_TIM_THAY', `Không tìm thấy bản ghi nhật ký ${seq}`);
      res.json(toView(row));
    }),
  );

  r.get(
    '/audit/entries/:seq/body/:part',
    auditor,
    handler(async (req, res) => {
      const seq = intParam(req.params.seq, 'seq')!;
      const part = req.params.part === 'response' ? 'response' : req.params.part === 'request' ? 'request' : undefined;
      if (!part) throw new TimeArgumentError('part phải là request hoặc response');
      const caller = adminCaller(res);
      try {
        const body = await readAuditBody(ctx.store, ctx.config, seq, part);
        // Reading traffic is itself evidence: recorded durably before the body leaves the gateway.
        await ctx.audit.recordDurable({ kind: 'admin', actor: caller.actor, certSerial: caller.certSerial, operation: 'audit.body.read', target: `${seq}/${part}`, outcome: 'ok' });
        res.set('Cache-Control', 'no-store').set('X-Noi-Dung-SHA256', body.sha256).type('application/octet-stream').send(body.body);
      } catch (err) {
        const e = err as { code?: string };
        ctx.audit.record({ kind: 'admin', actor: caller.actor, certSerial: caller.certSerial, operation: 'audit.body.read', target: `${seq}/${part}`, outcome: 'failed', code: e.code ?? 'LOI_HE_THONG' });
        throw err;
      }
    }),
  );

  r.get(
    '/audit/summary',
    auditor,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const bucketMinutes = intParam(q.bucketMinutes, 'bucketMinutes');
      const tz = str(q.tzOffsetMinutes);
      res.json(
        await auditSummary(ctx.store, {
          ...timeRange(q),
          bucketMs: bucketMinutes ? bucketMinutes * 60_000 : undefined,
          tzOffsetMinutes: tz !== undefined && /^-?\d+$/.test(tz) ? Number(tz) : undefined,
        }),
      );
    }),
  );

  r.post(
    '/audit/verify',
    auditor,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const { from, to } = timeRange(q);
      const ranged = from !== undefined || to !== undefined;
      const files = ranged ? [] : archiveFiles(ctx);
      const v = await verifyChain(ctx.store, { from, to, archives: files.length ? files : undefined });
      const caller = adminCaller(res);
      ctx.audit.record({ kind: 'admin', actor: caller.actor, certSerial: caller.certSerial, operation: 'audit.verify', outcome: v.ok ? 'ok' : 'failed', code: v.problem?.code, details: { from, to, problemSeq: v.problem?.seq } });
      res.json(v);
    }),
  );

  r.get(
    '/audit/export',
    auditor,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const { from, to } = timeRange(q);
      if (from === undefined || to === undefined) throw new TimeArgumentError('Cần cả from và to');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-audit-export-'));
      const name = `nhat-ky-${new Date(from).toISOString().slice(0, 10)}-${new Date(to).toISOString().slice(0, 10)}.jsonl`;
      const file = path.join(dir, name);
      try {
        let signer;
        try {
          const { auditSigningIdentity } = await import('../../certs/material.js');
          signer = await auditSigningIdentity(ctx);
          // Sign the current head first, so every exported entry is covered by a checkpoint.
          const trail = ctx.audit as Partial<AuditTrail>;
          await trail.flush?.();
          await trail.checkpoint?.().catch(() => undefined);
        } catch (err) {
          ctx.log.warn('Xuất nhật ký kiểm toán không có chữ ký gói', { err: err as Error });
        }
        const written = await exportBundle(ctx.store, { from, to, out: file, signer, node: ctx.nodeName });
        const caller = adminCaller(res);
        await ctx.audit.recordDurable({
          kind: 'admin',
          actor: caller.actor,
          certSerial: caller.certSerial,
          operation: 'audit.export',
          target: name,
          outcome: 'ok',
          details: { from, to, firstSeq: written.firstSeq, lastSeq: written.lastSeq, entries: written.entries, sha256: written.sha256 },
        });
        res.set('Cache-Control', 'no-store').set('X-Noi-Dung-SHA256', written.sha256);
        await new Promise<void>((resolve, reject) => res.download(file, name, (err) => (err ? reject(err) : resolve())));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }),
  );

  return r;
}

const filterParams = ['from', 'to', 'kind', 'unit', 'key', 'cert', 'software', 'front', 'operation', 'outcome', 'code', 'personalId', 'trackingId', 'requestId', 'actor'].map((name) => ({
  name,
  in: 'query',
  required: false,
  schema: { type: 'string' },
  description:
    name === 'personalId'
      ? 'Số định danh cá nhân đầy đủ; so khớp chính xác qua mã băm có khóa'
      : name === 'from' || name === 'to'
        ? 'YYYY-MM-DD (giờ Việt Nam), ISO 8601 hoặc mili giây'
        : undefined,
}));
const refusal = problemResponse();

export const auditAdminModule: AdminModule = {
  name: 'audit',
  router,
  openapi: {
    '/api/v1/admin/audit/entries': {
      get: {
        tags: ['audit'],
        summary: 'Tìm bản ghi nhật ký kiểm toán (auditor)',
        parameters: [
          ...filterParams,
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 5000 } },
          { name: 'cursor', in: 'query', schema: { type: 'integer' }, description: 'nextCursor của trang trước' },
          { name: 'order', in: 'query', schema: { enum: ['asc', 'desc'] } },
          { name: 'format', in: 'query', schema: { enum: ['json', 'jsonl', 'csv'] }, description: 'jsonl/csv: toàn bộ kết quả, tải về' },
        ],
        responses: {
          '200': {
            description: 'Một trang kết quả, hoặc toàn bộ dưới dạng CSV / JSON Lines',
            content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array' }, nextCursor: { type: ['integer', 'null'] } } } }, 'text/csv': {}, 'application/x-ndjson': {} },
          },
          '400': refusal,
          '403': refusal,
        },
      },
    },
    '/api/v1/admin/audit/search': {
      post: {
        tags: ['audit'],
        summary: 'Tìm bản ghi nhật ký với điều kiện trong thân JSON (nên dùng khi tìm theo số định danh cá nhân) (auditor)',
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: Object.fromEntries([...filterParams.map((p) => [p.name, { type: 'string' }]), ['limit', { type: 'integer' }], ['cursor', { type: 'integer' }], ['order', { enum: ['asc', 'desc'] }]]),
              },
            },
          },
        },
        responses: { '200': { description: 'Một trang kết quả', content: { 'application/json': {} } }, '400': refusal, '403': refusal },
      },
    },
    '/api/v1/admin/audit/entries/{seq}': {
      get: {
        tags: ['audit'],
        summary: 'Một bản ghi nhật ký (auditor)',
        parameters: [{ name: 'seq', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '200': { description: 'Bản ghi', content: { 'application/json': {} } }, '404': refusal, '403': refusal },
      },
    },
    '/api/v1/admin/audit/entries/{seq}/body/{part}': {
      get: {
        tags: ['audit'],
        summary: 'Nội dung yêu cầu / trả lời đã lưu (giải mã; chỉ auditor; việc đọc được ghi nhật ký)',
        parameters: [
          { name: 'seq', in: 'path', required: true, schema: { type: 'integer' } },
          { name: 'part', in: 'path', required: true, schema: { enum: ['request', 'response'] } },
        ],
        responses: {
          '200': { description: 'Nội dung gốc; X-Noi-Dung-SHA256 là mã băm đã ghi', content: { 'application/octet-stream': {} } },
          '404': refusal,
          '409': refusal,
          '403': refusal,
        },
      },
    },
    '/api/v1/admin/audit/summary': {
      get: {
        tags: ['audit'],
        summary: 'Thống kê: trao đổi theo đơn vị/mã kết nối/ngày, từ chối theo lý do, độ trễ và tồn đọng gửi (auditor)',
        parameters: [
          filterParams[0],
          filterParams[1],
          { name: 'bucketMinutes', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'tzOffsetMinutes', in: 'query', schema: { type: 'integer' }, description: 'mặc định 420 (UTC+7)' },
        ],
        responses: { '200': { description: 'Số liệu cho biểu đồ', content: { 'application/json': {} } }, '403': refusal },
      },
    },
    '/api/v1/admin/audit/verify': {
      post: {
        tags: ['audit'],
        summary: 'Kiểm tra toàn vẹn chuỗi nhật ký (và các tệp lưu trữ khi không giới hạn thời gian) (auditor)',
        parameters: [filterParams[0], filterParams[1]],
        responses: { '200': { description: 'Kết quả; ok=false kèm problem {kind, seq, code, message}', content: { 'application/json': {} } }, '403': refusal },
      },
    },
    '/api/v1/admin/audit/export': {
      get: {
        tags: ['audit'],
        summary: 'Xuất gói nhật ký tự kiểm chứng (kiểm bằng `ndxp audit verify-bundle`) (auditor)',
        parameters: [{ ...filterParams[0], required: true }, { ...filterParams[1], required: true }],
        responses: { '200': { description: 'Gói JSON Lines', content: { 'application/x-ndjson': {} } }, '400': refusal, '403': refusal },
      },
    },
  },
};
