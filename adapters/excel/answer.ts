/**
 * The answer to a submitted workbook: a copy of it (streamed: read with exceljs's streaming
 * reader, written with its streaming writer, one row in memory at a time) with
 *  - on the records sheet, three result columns per row: what became of it (synchronised,
 *    queued, invalid, older than stored, unchanged since the last submission), its tracking id,
 *    and the problems in words;
 *  - every cell with a problem filled red with a comment in Vietnamese naming the problem (on
 *    the records sheet and on the repeating-part sheets alike);
 *  - a summary sheet first, and a list of every problem last (sheet, cell, code, text), which
 *    also lets `ndxp excel status` put the comments back when it rewrites the workbook.
 * The drop-downs of the coded columns are added again (the streaming reader does not carry them).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { RECORD_STATUS_TEXT } from '../record-status.js';
import type { RecordStatus } from '../types.js';
import { cellValue, drain, openReader, sheetOf } from './read.js';
import type { SheetName } from './zip-guard.js';
import { DATA_SHEETS, headerKey, parseCellRef, RESULT_HEADERS, sheetByName, SUMMARY_SHEET, type SheetLayout } from './layout.js';
import { sheetColumns, validationOf } from './template.js';
import { heapKeeper } from './heap.js';
import { ROWS_BETWEEN_LOOKS, writerDrained } from './backpressure.js';
import { spoolComments } from './comment-spool.js';

export const ERRORS_SHEET = 'Danh sách lỗi';

/** A row's outcome; UNCHANGED: not sent again (same content as an earlier submission). */
export type RowStatus = RecordStatus | 'UNCHANGED';

export interface RowOutcome {
  status: RowStatus;
  /** For UNCHANGED: what became of the earlier submission it repeats. */
  earlier?: RecordStatus;
  trackingId?: string;
  message: string;
  soDinhDanh?: string;
}

export interface CellIssue {
  /** `'Sheet'!D5`, or a description when the column is missing from the workbook. */
  ref: string;
  /** The records-sheet row the issue belongs to. */
  row: number;
  soDinhDanh?: string;
  code: string;
  message: string;
  warning?: boolean;
}

export interface AnswerSummary {
  unit: string;
  softwareId: string;
  /** ISO instant of the submission (or of the status update). */
  at: string;
  title: string;
}

/** What the answer writer needs of the outcomes: a Map, or a submission's scratch file (gateway/excel/spill.ts). */
export interface OutcomeLookup {
  get(row: number): RowOutcome | undefined;
  readonly size: number;
  values(): Iterable<RowOutcome>;
}

/**
 * What the answer writer needs of the cell problems, looked up row by row as the answer streams
 * (a submission's scratch file, gateway/excel/spill.ts: a workbook whose every row is invalid
 * has as many problems as rows, and they need not all be in memory at once).
 */
export interface IssueLookup {
  /** The problems whose cell (`ref`) is on row `row` of sheet `sheet`, in the order they were found. */
  onRow(sheet: string, row: number): CellIssue[];
  /** The problems of records-sheet row `row` (the `row` they belong to, whatever their cell), in the order found. */
  ofRecord(row: number): CellIssue[];
  /** Every problem, in the order found. */
  all(): Iterable<CellIssue>;
  /** How many are errors, not warnings. */
  readonly errorCount: number;
}

export interface AnswerInput {
  outcomes: OutcomeLookup;
  issues: IssueLookup;
  summary: AnswerSummary;
}

/** The short word of the result column. */
export const STATUS_WORD: Record<RowStatus, string> = {
  SYNCED: 'Đã đồng bộ',
  QUEUED: 'Đang chờ đồng bộ',
  INVALID: 'Không hợp lệ',
  STALE: 'Cũ hơn bản đã lưu',
  ERROR: 'Lỗi',
  UNCHANGED: 'Không đổi, không gửi lại',
};

const FILL: Record<RowStatus, string> = { SYNCED: 'FFC6EFCE', QUEUED: 'FFFFEB9C', INVALID: 'FFFFC7CE', STALE: 'FFD9D9D9', ERROR: 'FFFFC7CE', UNCHANGED: 'FFDDEBF7' };
const BAD_CELL = { type: 'pattern' as const, pattern: 'solid' as const, fgColor: { argb: 'FFFF9999' } };
const WARN_CELL = { type: 'pattern' as const, pattern: 'solid' as const, fgColor: { argb: 'FFFFE699' } };
const HEADER_FILL = { type: 'pattern' as const, pattern: 'solid' as const, fgColor: { argb: 'FFDDEBF7' } };

/** The status a word in the result column stands for (the status pass reads earlier answers). */
export function statusOfWord(word: string | undefined): RowStatus | undefined {
  if (!word) return undefined;
  const k = headerKey(word);
  return (Object.keys(STATUS_WORD) as RowStatus[]).find((s) => k.startsWith(headerKey(STATUS_WORD[s])));
}

/** Every status, counted. */
export function countOutcomes(outcomes: Iterable<RowOutcome>): Record<RowStatus, number> {
  const counts: Record<RowStatus, number> = { SYNCED: 0, QUEUED: 0, INVALID: 0, STALE: 0, ERROR: 0, UNCHANGED: 0 };
  for (const o of outcomes) counts[o.status]++;
  return counts;
}

type ReaderRow = { number: number; eachCell: (o: { includeEmpty: boolean }, cb: (cell: ReaderCell, col: number) => void) => void };
type ReaderCell = { value: unknown; type?: number; style?: Partial<ExcelJS.Style> };

function copyValue(cell: ReaderCell): ExcelJS.CellValue {
  const v = cell.value as ExcelJS.CellValue;
  // Values only: a formula on a sheet that is not read (instructions, a clerk's notes) keeps its last result.
  if (v && typeof v === 'object' && ('formula' in v || 'sharedFormula' in v)) return ((v as { result?: ExcelJS.CellValue }).result ?? null) as ExcelJS.CellValue;
  return v;
}

function resultText(o: RowOutcome): string {
  if (o.status === 'UNCHANGED' && o.earlier) return `${STATUS_WORD.UNCHANGED} (${STATUS_WORD[o.earlier].toLowerCase()})`;
  return STATUS_WORD[o.status];
}

/** Writes the answer workbook `output` from the submitted `input`. */
export async function writeAnswerWorkbook(input: string, output: string, a: AnswerInput, names?: Map<string, SheetName>): Promise<void> {
  // The red cells' comments wait here until their sheet is done (comment-spool.ts).
  const spools = await mkdtemp(path.join(os.tmpdir(), 'ndxp-answer-'));
  try {
    await writeAnswer(input, output, a, spools, names);
  } finally {
    await rm(spools, { recursive: true, force: true });
  }
}

async function writeAnswer(input: string, output: string, a: AnswerInput, spools: string, names?: Map<string, SheetName>): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: output, useStyles: true, useSharedStrings: false });
  wb.creator = 'ndxp-gateway';
  writeSummary(wb, a);

  let unnamed = 0;
  let written = 0;
  const keepHeap = heapKeeper();
  for await (const ws of openReader(input, { styles: 'cache' })) {
    const sheet = sheetOf(ws, names);
    const name = sheet.name || `Sheet${++unnamed}`;
    if (name === SUMMARY_SHEET || name === ERRORS_SHEET) {
      await drain(ws); // an earlier answer's: written anew
      continue;
    }
    const layout = sheetByName(name);
    const out = wb.addWorksheet(name, { state: sheet.hidden ? 'hidden' : 'visible', views: layout ? [{ state: 'frozen', ySplit: 1 }] : undefined });
    spoolComments(wb, out, spools);
    let resultCols: { status: number; trackingId: number; detail: number } | undefined;
    let headerKeys: string[] = [];
    let lastRow = 1;
    for await (const row of ws as unknown as AsyncIterable<ReaderRow>) {
      const target = out.getRow(row.number);
      const headerRow = row.number === 1;
      const headers: string[] = [];
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        const c = target.getCell(col);
        c.value = copyValue(cell);
        if (cell.style) c.style = cell.style;
        if (headerRow) headers[col] = headerKey(String(cellValue(cell as never).value ?? ''));
      });
      if (headerRow && layout) {
        headerKeys = headers;
        resultCols = layout.key === 'hoSo' ? placeResults(headers) : undefined;
        dressHeader(out, layout, headers, resultCols);
      }
      if (!headerRow) {
        lastRow = row.number;
        for (const [col, issues] of marksOf(a.issues.onRow(name, row.number))) {
          const c = target.getCell(col);
          c.fill = issues.some((i) => !i.warning) ? BAD_CELL : WARN_CELL;
          c.note = issues.map((i) => `${i.warning ? 'Lưu ý' : 'Lỗi'} (${i.code}): ${i.message}`).join('\n');
        }
        const o = resultCols ? a.outcomes.get(row.number) : undefined;
        if (o && resultCols) {
          const s = target.getCell(resultCols.status);
          s.value = resultText(o);
          s.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: FILL[o.status] } };
          target.getCell(resultCols.trackingId).value = o.trackingId ?? null;
          const detail = [o.message, ...a.issues.ofRecord(row.number).map(detailLine)].filter(Boolean).join('\n');
          target.getCell(resultCols.detail).value = detail.length > 4000 ? `${detail.slice(0, 3990)}…` : detail;
        }
      }
      target.commit();
      keepHeap();
      if (++written % ROWS_BETWEEN_LOOKS === 0) await writerDrained(out);
    }
    if (layout) addValidations(out, layout, headerKeys, lastRow);
    out.commit();
  }

  await writeErrorList(wb, a.issues);
  await wb.commit();
}

/** A problem as a line of its row's detail: the cell without its sheet, and the text. */
function detailLine(issue: CellIssue): string {
  return `${issue.ref.replace(/^'[^']*'!/, '')}: ${issue.message}`;
}

/** One row's problems by column (in the order of each column's first problem): the cells to fill and comment. */
function marksOf(issues: CellIssue[]): Map<number, CellIssue[]> {
  const byCol = new Map<number, CellIssue[]>();
  for (const issue of issues) {
    const at = parseCellRef(issue.ref);
    if (at) (byCol.get(at.col) ?? byCol.set(at.col, []).get(at.col)!).push(issue);
  }
  return byCol;
}

/** Where the result columns go: where an earlier answer put them, else after the last header. */
function placeResults(headers: string[]): { status: number; trackingId: number; detail: number } {
  const find = (h: string) => headers.findIndex((x) => x === headerKey(h));
  const last = headers.length - 1;
  const status = find(RESULT_HEADERS.status);
  const trackingId = find(RESULT_HEADERS.trackingId);
  const detail = find(RESULT_HEADERS.detail);
  let next = Math.max(last, status, trackingId, detail);
  return {
    status: status > 0 ? status : ++next,
    trackingId: trackingId > 0 ? trackingId : ++next,
    detail: detail > 0 ? detail : ++next,
  };
}

function dressHeader(out: ExcelJS.Worksheet, layout: SheetLayout, headers: string[], results?: { status: number; trackingId: number; detail: number }): void {
  const byHeader = new Map(sheetColumns(layout).map((c) => [headerKey(String(c.header)), c]));
  headers.forEach((h, col) => {
    const c = byHeader.get(h);
    if (c?.width) out.getColumn(col).width = c.width;
  });
  if (!results) return;
  const row = out.getRow(1);
  for (const [key, col] of Object.entries(results) as [keyof typeof RESULT_HEADERS, number][]) {
    const cell = row.getCell(col);
    cell.value = RESULT_HEADERS[key];
    cell.font = { bold: true };
    cell.fill = HEADER_FILL;
    out.getColumn(col).width = key === 'detail' ? 60 : key === 'trackingId' ? 30 : 22;
  }
}

function addValidations(out: ExcelJS.Worksheet, layout: SheetLayout, headers: string[], lastRow: number): void {
  const keyOf = new Map(layout.columns.map((c) => [headerKey(c.header), c]));
  for (let col = 1; col < headers.length; col++) {
    const c = headers[col] ? keyOf.get(headers[col]) : undefined;
    const dv = c && validationOf(c);
    if (!dv) continue;
    const letter = out.getColumn(col).letter;
    (out as unknown as { dataValidations: { add(address: string, v: ExcelJS.DataValidation): void } }).dataValidations.add(`${letter}2:${letter}${Math.max(lastRow, 2) + 500}`, dv);
  }
}

function writeSummary(wb: ExcelJS.stream.xlsx.WorkbookWriter, a: AnswerInput): void {
  const ws = wb.addWorksheet(SUMMARY_SHEET);
  ws.columns = [{ width: 44 }, { width: 18 }];
  const counts = countOutcomes(a.outcomes.values());
  const lines: [string, string | number][] = [
    [a.summary.title, ''],
    ['Đơn vị', a.summary.unit],
    ['Phần mềm (mã kết nối)', a.summary.softwareId],
    ['Thời điểm', new Date(a.summary.at).toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh' })],
    ['Số dòng hồ sơ', a.outcomes.size],
    [`${STATUS_WORD.SYNCED} (${RECORD_STATUS_TEXT.SYNCED.toLowerCase()})`, counts.SYNCED],
    [`${STATUS_WORD.QUEUED} (sẽ được gửi tự động)`, counts.QUEUED],
    [STATUS_WORD.INVALID, counts.INVALID],
    [STATUS_WORD.STALE, counts.STALE],
    [STATUS_WORD.ERROR, counts.ERROR],
    [STATUS_WORD.UNCHANGED, counts.UNCHANGED],
    ['Số ô có lỗi', a.issues.errorCount],
    ['', ''],
    ['Ô có lỗi được tô đỏ, di chuột lên ô để xem ghi chú. Danh sách đầy đủ ở trang «Danh sách lỗi».', ''],
    ['Sửa trên chính sổ tính này rồi gửi lại: dòng không đổi sẽ không bị gửi lại.', ''],
  ];
  lines.forEach(([k, v], i) => {
    const row = ws.addRow([k, v]);
    if (i === 0) row.font = { bold: true, size: 13 };
    row.commit();
  });
  ws.commit();
}

async function writeErrorList(wb: ExcelJS.stream.xlsx.WorkbookWriter, issues: IssueLookup): Promise<void> {
  const ws = wb.addWorksheet(ERRORS_SHEET, { views: [{ state: 'frozen', ySplit: 1 }] });
  ws.columns = [
    { header: 'Ô', width: 28 },
    { header: 'Dòng hồ sơ', width: 10 },
    { header: 'Số định danh cá nhân', width: 16 },
    { header: 'Mức', width: 8 },
    { header: 'Mã lỗi', width: 22 },
    { header: 'Mô tả', width: 90 },
  ];
  ws.getRow(1).font = { bold: true };
  ws.getRow(1).commit();
  let n = 0;
  for (const i of issues.all()) {
    ws.addRow([i.ref, i.row, i.soDinhDanh ?? '', i.warning ? 'Lưu ý' : 'Lỗi', i.code, i.message]).commit();
    if (++n % ROWS_BETWEEN_LOOKS === 0) await writerDrained(ws);
  }
  ws.commit();
}

/** What an earlier answer says of one records-sheet row. */
export interface AnsweredRow {
  trackingId?: string;
  status?: RowStatus;
  soDinhDanh?: string;
  detail?: string;
}

/**
 * Where readAnswerState puts each row and problem as it reads them (a scratch file in
 * `ndxp excel status`: an answer of 50,000 rows held in a Map made the step grow with the rows).
 */
export interface AnswerStateSink {
  row(row: number, answered: AnsweredRow): void;
  issue(issue: CellIssue): void;
}

/** What an earlier answer says of itself (its rows and problems went to the sink). */
export interface AnswerState {
  isAnswer: boolean;
  unit?: string;
  softwareId?: string;
}

/** Reads an answer workbook (streamed) for `ndxp excel status`: its rows and problems go to `into` as they come. */
export async function readAnswerState(file: string, into: AnswerStateSink, names?: Map<string, SheetName>): Promise<AnswerState> {
  const state: AnswerState = { isAnswer: false };
  const keepHeap = heapKeeper();
  for await (const ws of openReader(file, { styles: 'ignore' })) {
    const { name } = sheetOf(ws, names);
    const records = name === DATA_SHEETS[0].name;
    if (name === SUMMARY_SHEET) {
      for await (const row of ws as unknown as AsyncIterable<ReaderRow>) {
        const v: string[] = [];
        row.eachCell({ includeEmpty: false }, (cell, col) => (v[col] = String(cellValue(cell as never).value ?? '')));
        if (row.number === 2) state.unit = v[2];
        if (row.number === 3) state.softwareId = v[2];
      }
      continue;
    }
    if (!records && name !== ERRORS_SHEET) {
      await drain(ws);
      continue;
    }
    let cols: Record<string, number> = {};
    for await (const row of ws as unknown as AsyncIterable<ReaderRow>) {
      keepHeap();
      const values: string[] = [];
      row.eachCell({ includeEmpty: false }, (cell, col) => {
        const v = cellValue(cell as never).value;
        values[col] = v === undefined ? '' : typeof v === 'object' ? v.d : String(v);
      });
      if (row.number === 1) {
        cols = Object.fromEntries(values.map((v, i) => [headerKey(v ?? ''), i]).filter(([k]) => k));
        continue;
      }
      if (records) {
        const t = values[cols[headerKey(RESULT_HEADERS.trackingId)]];
        const s = values[cols[headerKey(RESULT_HEADERS.status)]];
        if (cols[headerKey(RESULT_HEADERS.status)] !== undefined) state.isAnswer = true;
        if (t || s) into.row(row.number, { trackingId: t || undefined, status: statusOfWord(s), soDinhDanh: values[cols[headerKey('Số định danh cá nhân')]], detail: values[cols[headerKey(RESULT_HEADERS.detail)]] });
      } else {
        into.issue({ ref: values[1] ?? '', row: Number(values[2] ?? 0), soDinhDanh: values[3] || undefined, warning: values[4] === 'Lưu ý', code: values[5] ?? '', message: values[6] ?? '' });
      }
    }
  }
  return state;
}
