/**
 * One workbook row (and the rows of its repeating parts) → a draft national record, with a map
 * from every JSON Pointer to the cell it came from, so every issue — the front's own, the shared
 * validation's, the central database's — names the cell a clerk must fix (`'Hồ sơ'!G12`).
 *
 * Cells arrive as Excel keeps them: a date typed into a date-formatted cell is a date, a personal
 * id typed into a General cell is a number that lost its leading zero, "12/12" may have become
 * 12 December. Each kind below accepts those forms as well as the text forms (dd/MM/yyyy …).
 * Text repair: a cell typed in a TCVN3 font (.VnTime …) is TCVN3 whatever the key says; any
 * other text goes through the key's repair, and text that still reads as TCVN3 is converted with
 * a warning.
 */
import { awardCode, disciplineCode, ethnicCode, genderCode, isKnownCode, looseKey, politicalTheory, provinceName, rank, religionCode, codeList, type CodeListName } from '../national/codelists.js';
import type { HoSoChuaKy } from '../national/profile.js';
import { looksLikeTcvn3, tcvn3ToUnicode } from '../text/index.js';
import type { FieldIssue, ParsedRecord, TextRepair } from '../types.js';
import { legacyDate, legacyLocalDateTime, legacyMonth, decimalComma, integer } from '../legacy-hoso/legacy-forms.js';
import { cellRef, PART_SHEETS, RECORD_SHEET, type Column, type SheetLayout } from './layout.js';
import { recordIdOf, type CellValue, type WireBatch, type WireCell, type WireRecord, type WireRow } from './wire.js';

type Converted = { value: unknown } | { reason: string; code?: string };

const pad2 = (n: number) => String(n).padStart(2, '0');

/** A date cell's calendar day: exceljs reads Excel's zone-less serials as UTC instants. */
function dayOf(iso: string): { y: number; m: number; d: number; hh: number; mm: number; ss: number } {
  const t = new Date(iso);
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), hh: t.getUTCHours(), mm: t.getUTCMinutes(), ss: t.getUTCSeconds() };
}

const isDate = (v: CellValue): v is { d: string } => typeof v === 'object' && v !== null && 'd' in v;

/** Excel serial day numbers (a date typed where the cell had no date format). */
function serialToIso(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 1 || n > 2958465) return undefined;
  return new Date(Math.round((n - 25569) * 86400000)).toISOString();
}

const reason = (r: { reason: string }): Converted => ({ reason: r.reason });

function asText(v: CellValue): string {
  if (isDate(v)) {
    const t = dayOf(v.d);
    return `${pad2(t.d)}/${pad2(t.m)}/${t.y}`;
  }
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
  return String(v).trim();
}

const CODE_MATCHERS: Partial<Record<CodeListName, (s: string) => string | undefined>> = {
  'dan-toc': ethnicCode,
  'ton-giao': religionCode,
  'khen-thuong': awardCode,
  'ky-luat': disciplineCode,
};

function code(list: CodeListName, raw: string): Converted {
  // The drop-down's "code - name", a bare code, or a name the matchers know.
  const head = raw.split(/\s+-\s+/, 1)[0].trim();
  const known = (c: string) => (list === 'ngach' ? rank(c) !== undefined : isKnownCode(list, c));
  if (known(head)) return { value: head };
  if (/^\d$/.test(head) && known(`0${head}`)) return { value: `0${head}` };
  const matched = CODE_MATCHERS[list]?.(raw);
  if (matched) return { value: matched };
  if (list === 'tinh-2025') {
    const k = looseKey(raw.replace(/^(tinh|thanhpho|tp)\s*/i, ''));
    const hit = Object.keys(codeList('tinh-2025')).find((c) => looseKey(provinceName(c)!) === k);
    if (hit) return { value: hit };
  }
  if (list === 'ngach' && /^([0-9]{2}\.[0-9]{3}|V\.[0-9]{2}\.[0-9]{2}\.[0-9]{2})$/.test(head)) return { value: head }; // validation names the unknown code
  return { reason: `«${raw.slice(0, 60)}» không có trong danh mục; hãy chọn từ danh sách thả xuống`, code: 'MA_KHONG_TON_TAI' };
}

/** Converts one cell by its column's kind. */
export function convert(col: Column, v: CellValue, text: string): Converted {
  // A date typed where Excel kept the serial day number (no date format known to the reader).
  if (typeof v === 'number' && (col.kind === 'date' || col.kind === 'month' || col.kind === 'dateTime') && serialToIso(v)) return convert(col, { d: serialToIso(v)! }, text);
  switch (col.kind) {
    case 'date': {
      if (isDate(v)) {
        const t = dayOf(v.d);
        return { value: `${t.y}-${pad2(t.m)}-${pad2(t.d)}` };
      }
      if (typeof v === 'number' && serialToIso(v)) return convert(col, { d: serialToIso(v)! }, text);
      const r = legacyDate(text, false);
      return 'value' in r ? r : reason(r);
    }
    case 'partialDate': {
      if (isDate(v)) return convert({ ...col, kind: 'date' }, v, text);
      if (typeof v === 'number' && v >= 1900 && v <= 2100 && Number.isInteger(v)) return { value: String(v) };
      if (/^\d{4}$/.test(text)) return { value: text };
      const r = legacyDate(text, true);
      return 'value' in r ? r : reason(r);
    }
    case 'month': {
      if (isDate(v)) {
        const t = dayOf(v.d);
        return { value: `${t.y}-${pad2(t.m)}` };
      }
      const r = legacyMonth(text);
      return 'value' in r ? r : reason(r);
    }
    case 'dateTime': {
      if (isDate(v)) {
        const t = dayOf(v.d);
        return { value: `${t.y}-${pad2(t.m)}-${pad2(t.d)}T${pad2(t.hh)}:${pad2(t.mm)}:${pad2(t.ss)}+07:00` };
      }
      const r = legacyLocalDateTime(/^\d{1,2}\/\d{1,2}\/\d{4}$/.test(text) ? `${text} 00:00:00` : text);
      return 'value' in r ? r : reason(r);
    }
    case 'integer': {
      if (typeof v === 'number') return Number.isInteger(v) ? { value: v } : { reason: `phải là số nguyên (nhận được ${text})` };
      const r = integer(text, 4);
      return 'value' in r ? r : reason(r);
    }
    case 'decimal': {
      if (typeof v === 'number') return { value: Math.round(v * 1e6) / 1e6 };
      const r = decimalComma(text);
      return 'value' in r ? r : reason(r);
    }
    case 'code':
      return code(col.list as CodeListName, text);
    case 'choice':
      switch (col.list) {
        case 'gioi-tinh': {
          const g = looseKey(text) === 'chuacothongtin' ? 0 : genderCode(text);
          return g === undefined ? { reason: `phải là Nam, Nữ hoặc Chưa có thông tin (nhận được «${text.slice(0, 40)}»)` } : { value: g };
        }
        case 'ly-luan-chinh-tri': {
          const p = politicalTheory(text);
          return p ? { value: p } : { reason: `phải là Sơ cấp, Trung cấp, Cao cấp hoặc Cử nhân (nhận được «${text.slice(0, 40)}»)` };
        }
        case 'co-khong': {
          if (typeof v === 'boolean') return { value: v };
          const k = looseKey(text);
          if (k === 'co' || k === 'x' || k === '1') return { value: true };
          if (k === 'khong' || k === '0') return { value: false };
          return { reason: `phải là Có hoặc Không (nhận được «${text.slice(0, 40)}»)` };
        }
        case 'giao-duc-pho-thong': {
          // "12/12" typed into a General cell is 12 December to Excel: read it back as day/month.
          if (isDate(v)) {
            const t = dayOf(v.d);
            return { value: `${t.d}/${t.m}` };
          }
          return { value: text };
        }
        default:
          return { value: text };
      }
    case 'textList':
      return { value: text.split(/\s*;\s*/).filter(Boolean) };
    default:
      // Excel drops the leading zeros of ids typed into a General cell: put them back.
      if (typeof v === 'number' && Number.isInteger(v) && (col.pointer === '/soDinhDanh' || col.pointer === '/soBHXH' || col.key === 'soDinhDanh')) {
        const width = col.pointer === '/soBHXH' ? 10 : 12;
        return { value: String(v).padStart(width, '0') };
      }
      return { value: text };
  }
}

/** Sets `value` at a JSON Pointer inside `target`, creating objects on the way. */
function setAt(target: Record<string, unknown>, pointer: string, value: unknown): void {
  const segs = pointer.split('/').slice(1);
  let o = target;
  for (const s of segs.slice(0, -1)) o = (o[s] ??= {}) as Record<string, unknown>;
  o[segs.at(-1)!] = value;
}

interface Ctx {
  repair: TextRepair;
  errors: FieldIssue[];
  warnings: FieldIssue[];
  fields: Record<string, string>;
}

/** The cell's text after repair (TCVN3 fonts, the key's encoding, NFC). */
function repaired(cell: WireCell, ref: string, pointer: string, ctx: Ctx): CellValue {
  if (typeof cell.v !== 'string') return cell.v;
  if (cell.t3) return tcvn3ToUnicode(cell.v).normalize('NFC');
  const t = ctx.repair(cell.v);
  if (looksLikeTcvn3(t)) {
    ctx.warnings.push({ pointer, field: ref, code: 'NGHI_BANG_MA_TCVN3', message: `Ô ${ref} có vẻ được gõ bằng bảng mã TCVN3 (ABC) với phông chữ Unicode; đã chuyển sang Unicode, hãy kiểm tra lại` });
    return tcvn3ToUnicode(t).normalize('NFC');
  }
  return t;
}

/** Reads the layout's columns of one row into `into` (pointers relative to `base`). */
function readRow(row: WireRow, layout: SheetLayout, columns: Record<string, number>, base: string, into: Record<string, unknown>, ctx: Ctx): void {
  for (const col of layout.columns) {
    const at = columns[col.key];
    if (col.pointer === '') continue; // a part's key column: its link to the record, not data
    const pointer = `${base}${col.pointer}`;
    const ref = at === undefined ? `'${row.sheet}'!(${col.header})${row.row}` : cellRef(row.sheet, at, row.row);
    ctx.fields[pointer] = ref;
    const cell = row.cells[col.key];
    if (!cell) continue;
    const v = repaired(cell, ref, pointer, ctx);
    const text = asText(v);
    if (text === '') continue;
    const r = convert(col, v, text);
    if ('reason' in r) {
      ctx.errors.push({ pointer, field: ref, code: r.code ?? 'SAI_DINH_DANG', message: `${col.header} (ô ${ref}): ${r.reason}` });
      continue;
    }
    setAt(into, col.pointer, r.value);
  }
}

/** Parent pointers of the record's groups → the cell most worth pointing at when the group is missing. */
const GROUP_CELLS: Record<string, string> = { '/luong': 'heSoLuong', '/donVi': 'maDonVi', '/ngachChucDanh': 'ngach', '/trinhDo': 'chuyenMon', '/dang': 'ngayVaoDang', '/queQuan': 'queQuan', '/noiSinh': 'noiSinh', '/noiOHienNay': 'noiO' };

/** One record of a batch → ParsedRecord. `index` is its position in the batch. */
export function mapRecord(rec: WireRecord, index: number, batch: WireBatch, repair: TextRepair): ParsedRecord {
  const ctx: Ctx = { repair, errors: [], warnings: [], fields: {} };
  const cols = batch.columns[rec.sheet] ?? {};
  const draft: Record<string, unknown> = {};
  readRow(rec, RECORD_SHEET, cols, '', draft, ctx);
  const idCell = cellRef(rec.sheet, cols.soDinhDanh ?? 1, rec.row);
  ctx.fields[''] = idCell;
  ctx.fields['/nguon/maDonViGui'] = idCell;
  for (const [group, key] of Object.entries(GROUP_CELLS)) if (cols[key] !== undefined) ctx.fields[group] = cellRef(rec.sheet, cols[key], rec.row);

  for (const part of PART_SHEETS) {
    const rows = rec.parts?.[part.key as keyof NonNullable<WireRecord['parts']>];
    if (!rows?.length) continue;
    const items: Record<string, unknown>[] = [];
    rows.forEach((r, i) => {
      const item: Record<string, unknown> = {};
      const pcols = batch.columns[r.sheet] ?? {};
      ctx.fields[`/${part.key}/${i}`] = cellRef(r.sheet, pcols.soDinhDanh ?? 1, r.row);
      ctx.fields[`/${part.key}`] = ctx.fields[`/${part.key}`] ?? cellRef(r.sheet, pcols.soDinhDanh ?? 1, r.row);
      readRow(r, part, pcols, `/${part.key}/${i}`, item, ctx);
      items.push(item);
    });
    draft[part.key] = items;
  }
  return {
    recordId: recordIdOf(rec.row, rec.digest),
    index,
    draft: draft as Partial<HoSoChuaKy>,
    fields: ctx.fields,
    errors: ctx.errors,
    warnings: ctx.warnings,
  };
}
