/**
 * The Excel front through the admin API, over real mutual TLS against a real gateway and the
 * central simulator: a workbook uploaded as the raw body or as a multipart form, the answer
 * workbook read back cell by cell; roles; a refused workbook is a problem document only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { cleanup } from './helpers/env.js';
import type { TlsClient } from './helpers/http.js';
import { buildWorkbook, cellAt, examples, excelSetup, RECORDS, SOFTWARE, UNIT, type ExcelSetup } from './excel-helpers.js';

afterAll(cleanup);

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

let s: ExcelSetup;
let admin: TlsClient;
let auditor: TlsClient;
beforeAll(async () => {
  s = await excelSetup();
  admin = await s.h.adminClient('network-admin');
  auditor = await s.h.adminClient('auditor');
}, 60_000);

async function workbookOf(body: Buffer): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  return wb;
}

const submitUrl = () => `${s.h.adminUrl}/api/v1/admin/excel/submit?unit=${encodeURIComponent(UNIT)}&software=${SOFTWARE}`;

describe('admin API /api/v1/admin/excel', () => {
  it('answers a raw-body submission with the result workbook; the trail names the admin', async () => {
    const rows = examples(700, 3);
    const file = await buildWorkbook(path.join(s.dir, 'a1.xlsx'), rows, (wb) => {
      cellAt(wb.getWorksheet(RECORDS)!, 4, 'Giới tính').value = 'Ông';
    });
    const res = await admin.request(submitUrl(), { method: 'POST', headers: { 'content-type': XLSX }, body: readFileSync(file) });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toBe(XLSX);
    expect(JSON.parse(String(res.headers['x-ndxp-ket-qua']))).toMatchObject({ rows: 3, synchronised: 2, invalid: 1 });
    const ws = (await workbookOf(res.body)).getWorksheet(RECORDS)!;
    expect([2, 3, 4].map((r) => cellAt(ws, r, 'Kết quả').value)).toEqual(['Đã đồng bộ', 'Đã đồng bộ', 'Không hợp lệ']);
    expect(String(cellAt(ws, 4, 'Giới tính').note)).toContain('phải là Nam, Nữ hoặc Chưa có thông tin');
    const trail = await s.h.ctx.store.db.selectFrom('audit_entries').select(['cert_subject', 'front', 'key_id']).where('front', '=', 'excel').execute();
    expect(trail.some((t) => t.key_id === s.keyId && String(t.cert_subject).includes('test-network-admin'))).toBe(true);
  }, 60_000);

  it('takes a multipart upload; the status endpoint answers the updated workbook', async () => {
    const file = await buildWorkbook(path.join(s.dir, 'a2.xlsx'), examples(710, 2));
    const boundary = 'ndxpBoundary42';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nthử\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a2.xlsx"\r\nContent-Type: ${XLSX}\r\n\r\n`),
      readFileSync(file),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const res = await admin.request(submitUrl(), { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    expect(JSON.parse(String(res.headers['x-ndxp-ket-qua']))).toMatchObject({ rows: 2, synchronised: 2 });
    const status = await auditor.request(`${s.h.adminUrl}/api/v1/admin/excel/status`, { method: 'POST', headers: { 'content-type': XLSX }, body: res.body });
    expect(status.status, status.text.slice(0, 300)).toBe(200);
    expect(JSON.parse(String(status.headers['x-ndxp-ket-qua']))).toMatchObject({ rows: 2, synchronised: 2, changed: 0 });
    expect(cellAt((await workbookOf(status.body)).getWorksheet(RECORDS)!, 3, 'Kết quả').value).toBe('Đã đồng bộ');
  }, 60_000);

  it('serves the template; refuses an auditor submission and a hostile workbook with a problem document only', async () => {
    const tpl = await auditor.request(`${s.h.adminUrl}/api/v1/admin/excel/template?example=2`);
    expect(tpl.status).toBe(200);
    expect(cellAt((await workbookOf(tpl.body)).getWorksheet(RECORDS)!, 3, 'Số định danh cá nhân').value).toMatch(/^\d{12}$/);

    const file = await buildWorkbook(path.join(s.dir, 'a3.xlsx'), examples(720, 1));
    const denied = await auditor.request(submitUrl(), { method: 'POST', headers: { 'content-type': XLSX }, body: readFileSync(file) });
    expect(denied.status).toBe(403);
    expect(denied.json()).toMatchObject({ code: 'KHONG_DUOC_PHEP' });

    const hostile = await buildWorkbook(path.join(s.dir, 'a4.xlsx'), examples(730, 1), (wb) => {
      cellAt(wb.getWorksheet(RECORDS)!, 2, 'Họ và tên').value = { formula: 'CONCAT("A","B")', result: 'AB' } as ExcelJS.CellFormulaValue;
    });
    const refused = await admin.request(submitUrl(), { method: 'POST', headers: { 'content-type': XLSX }, body: readFileSync(hostile) });
    expect(refused.status).toBe(422);
    expect(String(refused.headers['content-type'])).toMatch(/json/);
    expect(refused.json()).toMatchObject({ code: 'EXCEL_CO_CONG_THUC', title: expect.stringContaining('C2') });
    const notExcel = await admin.request(submitUrl(), { method: 'POST', headers: { 'content-type': XLSX }, body: Buffer.from('not a workbook') });
    expect(notExcel.status).toBe(415);
    expect(notExcel.json()).toMatchObject({ code: 'TEP_KHONG_PHAI_EXCEL' });
    const missing = await admin.request(`${s.h.adminUrl}/api/v1/admin/excel/submit`, { method: 'POST', body: readFileSync(file) });
    expect(missing.json()).toMatchObject({ code: 'THAM_SO_KHONG_HOP_LE' });
  }, 60_000);
});
