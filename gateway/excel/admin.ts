/**
 * Admin API of workbooks (mounted under /api/v1/admin): the template, a submission and a status
 * update, each answered with a workbook. The upload is the request body itself
 * (application/vnd.openxmlformats-officedocument.spreadsheetml.sheet or octet-stream) or the
 * first file of a multipart/form-data form, at most MAX_UPLOAD_BYTES; it is kept in a private
 * temporary directory for the request's duration only. A refused workbook is answered with a
 * problem document and nothing else.
 */
import express from 'express';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createReadStream } from 'node:fs';
import type { AdminModule } from '../../core/admin-module.js';
import { adminCaller, problemResponse, requireRole, route, str } from '../../core/admin-module.js';
import type { AppContext } from '../../core/context.js';
import { GatewayError, OperatorError } from '../../core/errors.js';
import { formatBytes } from '../../core/http.js';
/** The workbook service, loaded on first use: exceljs and its dependencies cost every gateway process ~26 MB otherwise. */
const service = () => import('./service.js');

/** Largest workbook upload: a 50,000-row workbook is a few MB; zip bombs are checked separately. */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** Reads the body (raw or the first multipart file) within the limit. */
async function upload(req: express.Request): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_UPLOAD_BYTES) {
      req.unpipe();
      throw new GatewayError('DU_LIEU_QUA_LON', { limit: formatBytes(MAX_UPLOAD_BYTES) });
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  const boundary = /multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!boundary) return body;
  // The first part that carries a file name: its bytes between the blank line and the next boundary.
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const headEnd = body.indexOf('\r\n\r\n', at);
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (headEnd < 0 || next < 0) break;
    const head = body.subarray(at, headEnd).toString('utf8');
    if (/filename=/i.test(head)) return body.subarray(headEnd + 4, next - 2);
    at = next;
  }
  throw new OperatorError('YEU_CAU_KHONG_HOP_LE', 'Biểu mẫu multipart không có tệp sổ tính');
}

async function withTemp<T>(ctx: AppContext, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ndxp-excel-admin-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true }).catch((err) => ctx.log.warn('could not remove a temporary workbook', { err: err as Error }));
  }
}

async function sendWorkbook(res: express.Response, file: string, name: string, summary?: unknown): Promise<void> {
  res.status(200).setHeader('content-type', XLSX);
  res.setHeader('content-disposition', `attachment; filename="${name}"`);
  if (summary) res.setHeader('x-ndxp-ket-qua', JSON.stringify(summary));
  await new Promise<void>((resolve, reject) => createReadStream(file).on('error', reject).on('end', resolve).pipe(res));
}

function router(ctx: AppContext): express.Router {
  const r = express.Router();

  r.get('/excel/template', requireRole('network-admin', 'auditor'), route(async (req, res) => {
    const examples = str(req.query.example) === undefined ? 0 : Number(req.query.example);
    if (!Number.isInteger(examples) || examples < 0 || examples > 100_000) throw new OperatorError('THAM_SO_KHONG_HOP_LE', 'example phải là số nguyên 0–100000');
    await withTemp(ctx, async (dir) => {
      const file = path.join(dir, 'mau.xlsx');
      const { workbookTemplate } = await service();
      await workbookTemplate(file, { examples, unit: str(req.query.unit) });
      await sendWorkbook(res, file, 'mau-ho-so.xlsx');
    });
  }));

  r.post('/excel/submit', requireRole('network-admin'), route(async (req, res) => {
    const unit = str(req.query.unit);
    const software = str(req.query.software);
    if (!unit || !software) throw new OperatorError('THAM_SO_KHONG_HOP_LE', 'Cần unit (mã đơn vị) và software (mã phần mềm) trong chuỗi truy vấn');
    const body = await upload(req);
    const caller = adminCaller(res);
    await withTemp(ctx, async (dir) => {
      const input = path.join(dir, 'gui.xlsx');
      const out = path.join(dir, 'tra-loi.xlsx');
      await writeFile(input, body);
      const { submitWorkbook } = await service();
      const summary = await submitWorkbook(ctx, input, { unit, softwareId: software, out, operator: { subject: caller.actor, serial: caller.certSerial } });
      const { out: _out, ...counts } = summary;
      await sendWorkbook(res, out, 'tra-loi.xlsx', counts);
    });
  }));

  r.post('/excel/status', requireRole('network-admin', 'auditor'), route(async (req, res) => {
    const body = await upload(req);
    await withTemp(ctx, async (dir) => {
      const file = path.join(dir, 'tra-loi.xlsx');
      await writeFile(file, body);
      const { workbookStatus } = await service();
      const { out: _out, ...counts } = await workbookStatus(ctx, file);
      await sendWorkbook(res, file, 'tra-loi.xlsx', counts);
    });
  }));
  return r;
}

const workbookBody = {
  required: true,
  content: {
    [XLSX]: { schema: { type: 'string', format: 'binary' } },
    'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
    'multipart/form-data': { schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } } } },
  },
};
const workbookAnswer = (description: string) => ({
  description,
  headers: { 'x-ndxp-ket-qua': { description: 'JSON {rows, synchronised, queued, invalid, stale, unchanged, errors}', schema: { type: 'string' } } },
  content: { [XLSX]: { schema: { type: 'string', format: 'binary' } } },
});

export const excelAdminModule: AdminModule = {
  name: 'excel',
  router,
  openapi: {
    '/api/v1/admin/excel/template': {
      get: {
        tags: ['excel'],
        summary: 'Sổ tính mẫu (tiêu đề tiếng Việt, danh sách thả xuống, hướng dẫn); example: số dòng mẫu',
        parameters: [
          { name: 'example', in: 'query', schema: { type: 'integer', minimum: 0 } },
          { name: 'unit', in: 'query', schema: { type: 'string' } },
        ],
        responses: { '200': workbookAnswer('Sổ tính mẫu'), '400': problemResponse(), '403': problemResponse() },
      },
    },
    '/api/v1/admin/excel/submit': {
      post: {
        tags: ['excel'],
        summary: 'Gửi sổ tính của đơn vị chưa kết nối phần mềm (qua cùng đường xử lý như mọi giao diện); trả về sổ tính trả lời',
        parameters: [
          { name: 'unit', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'software', in: 'query', required: true, schema: { type: 'string' } },
        ],
        requestBody: workbookBody,
        responses: { '200': workbookAnswer('Sổ tính trả lời'), '400': problemResponse(), '403': problemResponse(), '413': problemResponse(), '415': problemResponse(), '422': problemResponse() },
      },
    },
    '/api/v1/admin/excel/status': {
      post: {
        tags: ['excel'],
        summary: 'Cập nhật cột «Kết quả» của sổ tính trả lời theo tình trạng hàng đợi',
        requestBody: workbookBody,
        responses: { '200': workbookAnswer('Sổ tính trả lời đã cập nhật'), '400': problemResponse(), '403': problemResponse(), '413': problemResponse(), '415': problemResponse(), '422': problemResponse() },
      },
    },
  },
};
