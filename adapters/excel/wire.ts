/**
 * What one exchange of the Excel front carries: a batch of workbook rows, already read from the
 * file and joined with their repeating parts (gateway/excel/ reads the file; this front maps the
 * rows). Cells are keyed by the layout's column keys; `columns` says where each column sits in
 * its sheet, so every issue can name the cell (`'Hồ sơ'!D5`) even when the cell is empty.
 */
import type { SheetLayout } from './layout.js';

/** A cell value: text, number, boolean, or a date/time cell (`d`: the instant exceljs read, as ISO). */
export type CellValue = string | number | boolean | { d: string };

/** One cell; `t3`: typed in a TCVN3 (.Vn…) font, so its text is TCVN3 whatever the key says. */
export interface WireCell {
  v: CellValue;
  t3?: 1;
}

export interface WireRow {
  /** Sheet name as the workbook spells it. */
  sheet: string;
  row: number;
  cells: Record<string, WireCell>;
}

export interface WireRecord extends WireRow {
  /** Digest of the row and its parts (idempotent re-submission), carried in the record id. */
  digest: string;
  /** Rows of the repeating parts that carry this record's personal id, by part. */
  parts?: Partial<Record<Exclude<SheetLayout['key'], 'hoSo'>, WireRow[]>>;
}

export interface WireBatch {
  /** Sheet name → column key → 1-based column index. */
  columns: Record<string, Record<string, number>>;
  records: WireRecord[];
}

/** The record id of a row: its row number and content digest (`5:Qx…`); status answers echo it. */
export function recordIdOf(row: number, digest: string): string {
  return `${row}:${digest}`;
}

/** The digest part of a record id (undefined when the id is not one). */
export function digestOfRecordId(recordId: string | null | undefined): string | undefined {
  const i = recordId?.indexOf(':') ?? -1;
  return i > 0 ? recordId!.slice(i + 1) : undefined;
}
