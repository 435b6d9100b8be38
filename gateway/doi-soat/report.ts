/**
 * The workbook a unit's HR staff work from (`ndxp doi-soat report --unit X --out FILE.xlsx`):
 * one row per record to correct, with each field that disagrees with the National Population
 * Database, our value and the register's value (one line per field), the day matched, and
 * whether a corrected version was already sent. Vietnamese headers, dates dd/MM/yyyy.
 */
import type { AppContext } from '../../core/context.js';
import { getRows } from '../delivery/outbox.js';
import { listMismatches, type Mismatch } from './service.js';
import { displayValue, fieldLabel } from './fields.js';

export interface ReportRow {
  soDinhDanh: string;
  hoVaTen: string;
  maDonVi: string;
  fields: { truong: string; label: string; ours: string; theirs: string }[];
  /** The latest day a result showed a disagreement of this record. */
  ngayDoiSoat: string;
  trackingId: string | null;
  softwareId: string | null;
  answeredBy: string | null;
}

/** The unit's open mismatches grouped per record (person), in unit then id order. */
export async function reportRows(ctx: AppContext, unit: string): Promise<ReportRow[]> {
  const open = await listMismatches(ctx, { unit, state: 'open', limit: 1_000_000 });
  const byPerson = new Map<string, Mismatch[]>();
  for (const m of open) byPerson.set(m.soDinhDanh, [...(byPerson.get(m.soDinhDanh) ?? []), m]);
  // Names from the version that was matched (the gateway sent it), else empty.
  const names = new Map<string, string>();
  const tracking = [...new Set(open.map((m) => m.trackingId).filter((t): t is string => Boolean(t)))];
  for (const r of await getRows(ctx.store.db, tracking, ['subject_id', 'body'])) {
    try {
      const name = (JSON.parse(r.body ?? '{}') as { hoVaTen?: string }).hoVaTen;
      if (name && r.subject_id) names.set(r.subject_id, name);
    } catch {
      /* a body that does not parse has no name to show */
    }
  }
  return [...byPerson.entries()].map(([id, ms]) => ({
    soDinhDanh: id,
    hoVaTen: names.get(id) ?? '',
    maDonVi: ms[0].maDonVi,
    fields: ms.map((m) => ({
      truong: m.truong,
      label: fieldLabel(m.truong),
      ours: m.ketQua === 'KHONG_TIM_THAY' ? id : displayValue(m.truong, m.giaTriHoSo),
      theirs: m.ketQua === 'KHONG_TIM_THAY' ? '(không có trong CSDL dân cư)' : displayValue(m.truong, m.giaTriDanCu),
    })),
    ngayDoiSoat: ms.map((m) => m.lastSeenDay).sort().at(-1)!,
    trackingId: ms[0].trackingId,
    softwareId: ms[0].softwareId,
    answeredBy: ms.find((m) => m.answeredBy)?.answeredBy ?? null,
  }));
}

const HEADERS: { header: string; key: string; width: number }[] = [
  { header: 'STT', key: 'stt', width: 6 },
  { header: 'Số định danh cá nhân', key: 'soDinhDanh', width: 16 },
  { header: 'Họ và tên', key: 'hoVaTen', width: 26 },
  { header: 'Mã đơn vị', key: 'maDonVi', width: 16 },
  { header: 'Trường cần sửa', key: 'truong', width: 20 },
  { header: 'Giá trị trên hồ sơ', key: 'ours', width: 34 },
  { header: 'Giá trị trong CSDL dân cư', key: 'theirs', width: 34 },
  { header: 'Ngày đối soát', key: 'ngay', width: 14 },
  { header: 'Mã theo dõi', key: 'trackingId', width: 30 },
  { header: 'Phần mềm gửi', key: 'softwareId', width: 16 },
  { header: 'Tình trạng', key: 'tinhTrang', width: 36 },
];

/** yyyy-MM-dd as a date cell (UTC midnight, so it shows the same day everywhere). */
const dateCell = (iso: string): Date => new Date(`${iso}T00:00:00Z`);

export async function writeReport(ctx: AppContext, unit: string, file: string): Promise<{ unit: string; file: string; records: number; fields: number }> {
  const rows = await reportRows(ctx, unit);
  // Loaded when a report is written: exceljs costs every gateway process ~26 MB and ~1.5 s of start-up otherwise.
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'ndxp-gateway';
  wb.created = new Date();
  const ws = wb.addWorksheet('Cần sửa', { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = HEADERS;
  ws.getRow(1).font = { bold: true };
  rows.forEach((r, i) => {
    const row = ws.addRow({
      stt: i + 1,
      soDinhDanh: r.soDinhDanh,
      hoVaTen: r.hoVaTen,
      maDonVi: r.maDonVi,
      truong: r.fields.map((f) => f.label).join('\n'),
      ours: r.fields.map((f) => f.ours).join('\n'),
      theirs: r.fields.map((f) => f.theirs).join('\n'),
      ngay: dateCell(r.ngayDoiSoat),
      trackingId: r.trackingId ?? '',
      softwareId: r.softwareId ?? '',
      tinhTrang: r.answeredBy ? `Đã gửi bản sửa (${r.answeredBy}), chờ đối soát lại` : 'Chưa sửa',
    });
    row.getCell('ngay').numFmt = 'dd/mm/yyyy';
    row.alignment = { wrapText: true, vertical: 'top' };
  });
  ws.autoFilter = { from: 'A1', to: { row: 1, column: HEADERS.length } };
  await wb.xlsx.writeFile(file);
  return { unit, file, records: rows.length, fields: rows.reduce((n, r) => n + r.fields.length, 0) };
}
