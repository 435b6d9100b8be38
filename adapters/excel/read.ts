/**
 * Reads a submitted workbook row by row with exceljs's streaming reader, so a 50,000-row
 * workbook never sits in memory whole: the container is checked first (zip-guard.ts), then each
 * data sheet's header row is matched to the layout by its (Vietnamese) header text — clerks may
 * reorder, hide or add columns — and every later row comes out as a small `SheetRow`. A formula
 * anywhere in a data sheet, a row numbered past the limit, or a workbook without the records
 * sheet refuses the workbook whole.
 */
import { GatewayError } from '../../core/errors.js';
import { columnLetter, DATA_SHEETS, headerKey, RESULT_HEADERS, sheetByName, type SheetLayout } from './layout.js';
import type { CellValue, WireCell } from './wire.js';
import { chmod, copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { workbookSheets, type StreamedSheet } from './parts.js';
import { DEFAULT_ZIP_LIMITS, inspectWorkbookZip, type SheetName, type ZipLimits } from './zip-guard.js';

export interface ReadLimits extends ZipLimits {
  /** Highest row number a data sheet may use (header included). */
  maxRows: number;
  /** Longest text of one cell (Excel's own limit is 32,767). */
  maxCellChars: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { ...DEFAULT_ZIP_LIMITS, maxRows: 100_001, maxCellChars: 32_767 };

export interface SheetHeaders {
  /** The sheet's name as the workbook spells it. */
  name: string;
  layout: SheetLayout;
  /** Column key → 1-based column index, for the layout's columns the header row has. */
  columns: Record<string, number>;
  /** Result columns of an earlier answer (ignored when read, rewritten when answered). */
  results: Partial<Record<keyof typeof RESULT_HEADERS, number>>;
  /** Last used column of the header row. */
  lastColumn: number;
}

export interface SheetRow {
  sheet: SheetHeaders;
  row: number;
  cells: Record<string, WireCell>;
}

const RESULT_KEYS = Object.fromEntries(Object.entries(RESULT_HEADERS).map(([k, h]) => [headerKey(h), k])) as Record<string, keyof typeof RESULT_HEADERS>;

type ExcelCell = { value: unknown; type?: number; style?: { font?: { name?: string } }; col?: number | string };

const TCVN3_FONT = /^\.vn/i;
const FORMULA = 6; // ExcelJS.ValueType.Formula

/** A cell's value as the row reader passes it on, or undefined for an empty cell. */
export function cellValue(cell: ExcelCell): { value?: CellValue; formula: boolean; tcvn3: boolean } {
  const v = cell.value;
  let tcvn3 = TCVN3_FONT.test(cell.style?.font?.name ?? '');
  if (v === null || v === undefined) return { formula: false, tcvn3 };
  if (cell.type === FORMULA) return { formula: true, tcvn3 };
  if (v instanceof Date) return { value: { d: v.toISOString() }, formula: false, tcvn3 };
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return { value: v, formula: false, tcvn3 };
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('formula' in o || 'sharedFormula' in o) return { formula: true, tcvn3 };
    if (Array.isArray(o.richText)) {
      const runs = o.richText as { text?: string; font?: { name?: string } }[];
      tcvn3 = tcvn3 || runs.some((r) => TCVN3_FONT.test(r.font?.name ?? ''));
      return { value: runs.map((r) => r.text ?? '').join(''), formula: false, tcvn3 };
    }
    if ('text' in o) return { value: String(o.text ?? ''), formula: false, tcvn3 };
    if ('error' in o) return { value: String(o.error), formula: false, tcvn3 };
  }
  return { value: String(v), formula: false, tcvn3 };
}

function text(v: CellValue | undefined): string {
  if (v === undefined) return '';
  return typeof v === 'object' ? v.d : String(v);
}

function readHeaders(name: string, layout: SheetLayout, row: { eachCell(opts: { includeEmpty: boolean }, cb: (cell: ExcelCell, col: number) => void): void }): SheetHeaders {
  const byHeader = new Map(layout.columns.map((c) => [headerKey(c.header), c.key]));
  const h: SheetHeaders = { name, layout, columns: {}, results: {}, lastColumn: 0 };
  const seen: string[] = [];
  row.eachCell({ includeEmpty: false }, (cell, col) => {
    const k = headerKey(text(cellValue(cell).value));
    if (seen.length < 4) seen.push(k);
    if (!k) return;
    h.lastColumn = Math.max(h.lastColumn, col);
    const key = byHeader.get(k);
    if (key && h.columns[key] === undefined) h.columns[key] = col;
    else if (layout.key === 'hoSo' && RESULT_KEYS[k]) h.results[RESULT_KEYS[k]] = col;
  });
  if (h.columns.soDinhDanh === undefined) {
    throw new GatewayError('EXCEL_SAI_MAU', { detail: `trang «${name}» không có cột «Số định danh cá nhân» ở dòng 1 (dòng 1 có: ${seen.map((x) => `«${x.slice(0, 30)}»`).join(', ') || 'không có gì'})` });
  }
  return h;
}

/**
 * Every non-empty row of every data sheet, in file order (the records sheet first in workbooks
 * made from the template). `onSheet` hears each data sheet's headers before its rows.
 */
export async function* sheetRows(file: string, limits: ReadLimits = DEFAULT_READ_LIMITS, onSheet?: (h: SheetHeaders) => void, names?: Map<string, SheetName>): AsyncGenerator<SheetRow> {
  const reader = openReader(file, { styles: 'cache' });
  let sawRecords = false;
  for await (const ws of reader) {
    const { name } = sheetOf(ws, names);
    const layout = sheetByName(name);
    if (!layout) {
      await drain(ws); // instructions, lists, summary, a clerk's own sheets: not read
      continue;
    }
    if (layout.key === 'hoSo') sawRecords = true;
    let headers: SheetHeaders | undefined;
    for await (const row of ws as unknown as AsyncIterable<{ number: number; eachCell: (o: { includeEmpty: boolean }, cb: (cell: ExcelCell, col: number) => void) => void }>) {
      if (row.number > limits.maxRows) throw new GatewayError('EXCEL_QUA_NHIEU_DONG', { sheet: name, limit: limits.maxRows - 1 });
      if (!headers) {
        if (row.number !== 1) throw new GatewayError('EXCEL_SAI_MAU', { detail: `dòng 1 của trang «${name}» phải là dòng tiêu đề` });
        headers = readHeaders(name, layout, row);
        onSheet?.(headers);
        continue;
      }
      const cells: Record<string, WireCell> = {};
      let any = false;
      const byCol = new Map(Object.entries(headers.columns).map(([k, c]) => [c, k]));
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        const read = cellValue(cell);
        if (read.formula) throw new GatewayError('EXCEL_CO_CONG_THUC', { cell: `${columnLetter(col)}${row.number} (trang «${name}»)` });
        const key = byCol.get(col);
        if (!key || read.value === undefined) return;
        let v = read.value;
        if (typeof v === 'string') {
          if (v.length > limits.maxCellChars) v = v.slice(0, limits.maxCellChars);
          if (v.trim() === '') return;
        }
        cells[key] = read.tcvn3 ? { v, t3: 1 } : { v };
        any = true;
      });
      if (any) yield { sheet: headers, row: row.number, cells };
    }
  }
  if (!sawRecords) throw new GatewayError('EXCEL_SAI_MAU', { detail: `không có trang «${DATA_SHEETS[0].name}»` });
}

/** Reads a sheet the caller does not need to its end (its rows are let go as they come). */
export async function drain(ws: unknown): Promise<void> {
  for await (const _row of ws as AsyncIterable<unknown>) void _row;
}

/** The worksheets of a checked workbook, read part by part (parts.ts). */
export function openReader(file: string, options: { styles: 'cache' | 'ignore' }): AsyncIterable<StreamedSheet> {
  return workbookSheets(file, options);
}

/** A streamed worksheet's name and visibility: the reader's own, else from the container (zip-guard.ts). */
export function sheetOf(ws: unknown, names?: Map<string, SheetName>): SheetName {
  const w = ws as { name?: string; id?: string | number; state?: string };
  // Unmatched, the reader names a sheet `Sheet<part number>` and keeps the part number as its id.
  const unmatched = !w.name || w.name === `Sheet${w.id}`;
  if (unmatched && names?.has(`xl/worksheets/sheet${w.id}.xml`)) return names.get(`xl/worksheets/sheet${w.id}.xml`)!;
  return { name: w.name ?? '', hidden: w.state === 'hidden' || w.state === 'veryHidden' };
}

export interface CheckedWorkbook {
  /** A private copy of the workbook, checked: every later pass reads it, whatever becomes of the original meanwhile. */
  file: string;
  sheets: Map<string, SheetName>;
  /** Removes the copy. */
  dispose(): Promise<void>;
}

/** Copies the workbook aside and checks the copy's container (zip-guard.ts): what was checked is what is read. */
export async function checkWorkbook(file: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<CheckedWorkbook> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ndxp-xlsx-'));
  const copy = path.join(dir, 'workbook.xlsx');
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    // Nothing bigger than what it may unpack to is copied (deflate only shrinks XML).
    if ((await stat(file)).size > limits.maxUncompressedBytes) throw new GatewayError('EXCEL_QUA_LON', {}, 'file size');
    await copyFile(file, copy);
    await chmod(copy, 0o600);
    const entries = await inspectWorkbookZip(copy, limits);
    return { file: copy, sheets: entries.sheets, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
