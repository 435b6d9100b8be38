/**
 * Workbooks from units whose software is not connected yet (issue 14): the template, a
 * submission, and the status of an earlier answer. Shared by `ndxp excel …` (cli.ts) and the
 * admin API (admin.ts).
 *
 * A submission reads the workbook three times, streaming each time; what it keeps per row (part
 * rows, outcomes, cell problems; for `status`, what the earlier answer said) waits in a scratch
 * file (spill.ts), so memory does not grow with the rows:
 *   1. check: the zip container (adapters/excel/zip-guard.ts), then every data sheet — a formula,
 *      a sheet past the row limit or a workbook off the template refuses it whole, before any
 *      row is sent; the repeating parts are collected by personal id;
 *   2. send: each records-sheet row joined with its parts, in batches through the request
 *      pipeline (door.ts) like any front's request. A row whose digest equals the one its newest
 *      earlier submission carried (kept in the outbox with the record, as its record id) is not
 *      sent again: re-submitting the same or a corrected workbook is idempotent;
 *   3. answer: the copy with results, highlighted cells and comments (adapters/excel/answer.ts).
 */
import { createHash } from 'node:crypto';
import { rename } from 'node:fs/promises';
import { excelFront, EXCEL_FRONT_ID, type RowResult } from '../../adapters/excel/index.js';
import { countOutcomes, readAnswerState, writeAnswerWorkbook, type AnswerState, type OutcomeLookup, type RowOutcome, type RowStatus } from '../../adapters/excel/answer.js';
import { SubmissionSpill } from './spill.js';
import { heapKeeper } from '../../adapters/excel/heap.js';
import { cellRef, PART_SHEETS, RECORD_SHEET, parseCellRef } from '../../adapters/excel/layout.js';
import { checkWorkbook, DEFAULT_READ_LIMITS, sheetRows, type CheckedWorkbook, type ReadLimits, type SheetRow } from '../../adapters/excel/read.js';
import { writeTemplate } from '../../adapters/excel/template.js';
import { digestOfRecordId, type CellValue, type WireBatch, type WireRecord, type WireRow } from '../../adapters/excel/wire.js';
import type { RecordStatus } from '../../adapters/types.js';
import type { AppContext } from '../../core/context.js';
import { GatewayError, isErrorCode } from '../../core/errors.js';
import { stableJson } from '../delivery/idempotency.js';
import { createDelivery } from '../delivery/delivery.js';
import { listKeys } from '../keys/service.js';
import { fromTracking } from '../pipeline/execute.js';
import { openDoor, type Door, type Operator } from './door.js';
import { earlierProfileRows } from '../delivery/outbox.js';

export interface SubmitOptions {
  unit: string;
  softwareId: string;
  operator: Operator;
  /** Where the answer workbook goes. */
  out: string;
  /** Rows per pipeline exchange (at most the per-call record limit). */
  batchSize?: number;
  limits?: ReadLimits;
  /** Rows done so far of `total`, after each batch. */
  progress?(done: number, total: number): void;
}

export interface SubmitSummary {
  rows: number;
  synchronised: number;
  queued: number;
  invalid: number;
  stale: number;
  /** Not sent again: the same as at an earlier submission. */
  unchanged: number;
  errors: number;
  out: string;
}

type PartKey = Exclude<WireRecord['parts'], undefined> extends Partial<Record<infer K, unknown>> ? K : never;

/** Outbox states in which an earlier submission of a row counts as done (not sent again). */
const DONE_STATES = new Set(['pending', 'queued', 'delivering', 'delivered', 'stale', 'superseded']);

const STATE_STATUS: Record<string, RecordStatus> = { pending: 'QUEUED', queued: 'QUEUED', delivering: 'QUEUED', delivered: 'SYNCED', stale: 'STALE', superseded: 'STALE' };

/** A personal id as the key column holds it (Excel drops the leading zero of a number). */
function personalId(row: WireRow | SheetRow): string | undefined {
  const v = row.cells.soDinhDanh?.v;
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) return String(v).padStart(12, '0');
  return typeof v === 'object' ? undefined : String(v).trim();
}

/** The row's content (and its parts'), digested: what "unchanged since the last submission" compares. */
function digestOf(row: WireRow, parts: WireRecord['parts']): string {
  // A date cell reaches the streaming reader as a date or as its serial day number, depending on
  // whether the styles part came before its sheet: both digest as the serial number.
  const serial = (v: CellValue) => (typeof v === 'object' ? Math.round((Date.parse(v.d) / 86_400_000 + 25569) * 1e6) / 1e6 : typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v);
  const cells = (r: WireRow) => Object.fromEntries(Object.entries(r.cells).map(([k, c]) => [k, c.t3 ? [serial(c.v), 1] : serial(c.v)]));
  const body = { r: cells(row), p: Object.fromEntries(Object.entries(parts ?? {}).map(([k, rows]) => [k, (rows ?? []).map(cells)])) };
  return createHash('sha256').update(stableJson(body)).digest('base64url').slice(0, 32);
}

/** The unit's connection key of vendor `excel` for this software (the active one first). */
async function excelKey(ctx: AppContext, door: Door, unit: string, softwareId: string): Promise<string> {
  const current = door.currentUnitCode(unit);
  const keys = (await listKeys(ctx, { vendor: EXCEL_FRONT_ID, software: softwareId })).filter((k) => k.unitCode === unit || door.currentUnitCode(k.unitCode) === current);
  if (keys.length === 0) throw new GatewayError('EXCEL_CHUA_CO_MA_KET_NOI', { software: softwareId, unit });
  // A suspended or cancelled key is still presented: the pipeline refuses it, and the trail says so.
  return (keys.find((k) => k.status === 'active') ?? keys[0]).keyId;
}

/** The refusal a batch answer carries, as the GatewayError it was. */
function refusalOf(answer: { status: number; body: Buffer }): GatewayError {
  let code = 'LOI_HE_THONG';
  let retry: number | undefined;
  try {
    const doc = JSON.parse(answer.body.toString('utf8')) as { code?: string; retryAfterSeconds?: number };
    if (doc.code) code = doc.code;
    retry = doc.retryAfterSeconds;
  } catch {
    /* not a problem document: a system error */
  }
  return new GatewayError(isErrorCode(code) ? code : 'LOI_HE_THONG', { retryAfterSeconds: retry ?? 1, requestId: String(answer.status) }, 'excel batch refused');
}

const RETRIED = new Set(['VUOT_HAN_MUC', 'QUA_NHIEU_YEU_CAU_DONG_THOI']);

export async function submitWorkbook(ctx: AppContext, file: string, options: SubmitOptions): Promise<SubmitSummary> {
  const limits = options.limits ?? DEFAULT_READ_LIMITS;
  const batchSize = Math.min(options.batchSize ?? 500, ctx.config.limits.maxRecordsPerCall);

  // 1. check the container and every data sheet before anything is sent
  const checked = await checkWorkbook(file, limits);
  try {
    return await submitChecked(ctx, checked, options, limits, batchSize);
  } finally {
    await checked.dispose();
  }
}

async function submitChecked(ctx: AppContext, checked: CheckedWorkbook, options: SubmitOptions, limits: ReadLimits, batchSize: number): Promise<SubmitSummary> {
  // Part rows, record ids and outcomes wait on disk, not in the heap (spill.ts).
  const spill = new SubmissionSpill();
  try {
    return await submitSpilled(ctx, checked, options, limits, batchSize, spill);
  } finally {
    spill.dispose();
  }
}

async function submitSpilled(ctx: AppContext, checked: CheckedWorkbook, options: SubmitOptions, limits: ReadLimits, batchSize: number, spill: SubmissionSpill): Promise<SubmitSummary> {
  const { file, sheets } = checked;
  const partKeys = PART_SHEETS.map((p) => p.key as PartKey);
  const columns: WireBatch['columns'] = {};
  const keepHeap = heapKeeper();
  let total = 0;
  for await (const r of sheetRows(file, limits, (h) => (columns[h.name] = h.columns), sheets)) {
    keepHeap();
    if (r.sheet.layout.key === 'hoSo') {
      total++;
      const id = personalId(r);
      if (id) spill.addRecord(id);
      continue;
    }
    spill.addPart(personalId(r) ?? '', partKeys.indexOf(r.sheet.layout.key as PartKey), { sheet: r.sheet.name, row: r.row, cells: r.cells });
  }
  spill.settle();

  const door = await openDoor(ctx, excelFront, options.operator);
  const outcomes = spill;
  const issues = spill;
  try {
    const keyId = await excelKey(ctx, door, options.unit, options.softwareId);
    const unitNow = door.currentUnitCode(options.unit);
    let posted = false;
    let done = 0;

    const post = async (records: WireRecord[]): Promise<RowResult[]> => {
      const body = Buffer.from(JSON.stringify({ columns, records } satisfies WireBatch));
      for (;;) {
        const answer = await door.post(body, keyId);
        posted = true;
        if (answer.status === 200) return (JSON.parse(answer.body.toString('utf8')) as { results: RowResult[] }).results;
        const err = refusalOf(answer);
        if (!RETRIED.has(err.code)) throw err;
        await new Promise((r) => setTimeout(r, Math.min(30, Math.max(1, err.retryAfterSeconds ?? 1)) * 1000));
      }
    };

    const flush = async (batch: WireRecord[]): Promise<void> => {
      if (batch.length === 0) return;
      const unchanged = await earlierSubmissions(ctx, unitNow, batch);
      const send = batch.filter((r) => !unchanged.has(r.row));
      for (const [row, earlier] of unchanged) outcomes.set(row, earlier);
      const byRow = new Map(send.map((r) => [r.row, r]));
      if (send.length) {
        for (const res of await post(send)) {
          const row = Number(res.recordId.split(':', 1)[0]);
          const rec = byRow.get(row);
          const id = rec ? personalId(rec) : undefined;
          outcomes.set(row, { status: res.status as RowStatus, trackingId: res.trackingId, message: res.message ?? '', soDinhDanh: id });
          const fallback = cellRef(rec?.sheet ?? RECORD_SHEET.name, columns[rec?.sheet ?? '']?.soDinhDanh ?? 1, row);
          for (const [list, warning] of [[res.errors, false], [res.warnings, true]] as const) {
            for (const e of list) issues.addIssue({ ref: parseCellRef(e.field) ? e.field : fallback, row, soDinhDanh: id, code: e.code, message: e.message, warning });
          }
        }
      }
      done += batch.length;
      keepHeap(batch.length);
      options.progress?.(done, total);
    };

    // 2. send, batch by batch
    let batch: WireRecord[] = [];
    for await (const r of sheetRows(file, limits, undefined, sheets)) {
      if (r.sheet.layout.key !== 'hoSo') continue;
      const id = personalId(r);
      const own: WireRecord['parts'] = {};
      if (id) for (const [k, rows] of spill.partsOf(id)) own[partKeys[k]] = rows;
      const row: WireRow = { sheet: r.sheet.name, row: r.row, cells: r.cells };
      batch.push({ ...row, digest: digestOf(row, own), parts: own });
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    await flush(batch);
    // Nothing needed sending: the key is still checked, and the trail still records the submission.
    if (!posted) await post([]);

    for (const o of spill.orphans()) {
      issues.addIssue({
        ref: cellRef(o.row.sheet, columns[o.row.sheet]?.soDinhDanh ?? 1, o.row.row),
        row: 0,
        soDinhDanh: o.id || undefined,
        code: 'KHONG_CO_HO_SO',
        message: o.id ? `Không có hồ sơ nào trên trang «${RECORD_SHEET.name}» mang số định danh ${o.id}; dòng này không được gửi` : 'Thiếu số định danh cá nhân; dòng này không được gửi',
      });
    }
  } finally {
    await door.close();
  }

  // 3. answer
  await writeAnswerWorkbook(file, options.out, {
    outcomes,
    issues,
    summary: { unit: options.unit, softwareId: options.softwareId, at: new Date().toISOString(), title: 'KẾT QUẢ GỬI SỔ TÍNH HỒ SƠ LÊN CSDL QUỐC GIA' },
  }, sheets);
  return { ...summaryOf(outcomes), out: options.out };
}

function summaryOf(outcomes: OutcomeLookup): Omit<SubmitSummary, 'out'> {
  const c = countOutcomes(outcomes.values());
  return { rows: outcomes.size, synchronised: c.SYNCED, queued: c.QUEUED, invalid: c.INVALID, stale: c.STALE, unchanged: c.UNCHANGED, errors: c.ERROR };
}

/** Rows of the batch whose newest earlier submission (same unit, this front) had the same digest and was taken. */
async function earlierSubmissions(ctx: AppContext, unitCode: string, batch: WireRecord[]): Promise<Map<number, RowOutcome>> {
  const ids = [...new Set(batch.map(personalId).filter((id): id is string => Boolean(id)))];
  const found = new Map<number, RowOutcome>();
  if (ids.length === 0) return found;
  const rows = await earlierProfileRows(ctx.store.db, EXCEL_FRONT_ID, unitCode, ids);
  const newest = new Map<string, (typeof rows)[number]>();
  for (const r of rows) if (r.subject_id && !newest.has(r.subject_id)) newest.set(r.subject_id, r);
  for (const rec of batch) {
    const id = personalId(rec);
    const earlier = id ? newest.get(id) : undefined;
    if (!earlier || digestOfRecordId(earlier.record_id) !== rec.digest || !DONE_STATES.has(earlier.state)) continue;
    found.set(rec.row, {
      status: 'UNCHANGED',
      earlier: STATE_STATUS[earlier.state],
      trackingId: earlier.tracking_id,
      message: 'Dòng không thay đổi so với lần gửi trước; không gửi lại',
      soDinhDanh: id,
    });
  }
  return found;
}

export interface StatusSummary extends Omit<SubmitSummary, 'out'> {
  /** Rows whose result changed since the answer was written. */
  changed: number;
  out: string;
}

/** Fills in what the queue delivered since: the answer workbook `file` rewritten (to `out`, else in place). */
export async function workbookStatus(ctx: AppContext, file: string, options: { out?: string; limits?: ReadLimits } = {}): Promise<StatusSummary> {
  const checked = await checkWorkbook(file, options.limits ?? DEFAULT_READ_LIMITS);
  try {
    return await statusChecked(ctx, checked, options.out ?? file);
  } finally {
    await checked.dispose();
  }
}

async function statusChecked(ctx: AppContext, checked: CheckedWorkbook, out: string): Promise<StatusSummary> {
  // What the earlier answer says of each row, its problems and the rows' new outcomes wait on
  // disk (spill.ts), and are taken a page at a time: nothing here grows with the rows.
  const spill = new SubmissionSpill();
  try {
    const state = await readAnswerState(checked.file, spill, checked.sheets);
    if (!state.isAnswer) throw new GatewayError('EXCEL_SAI_MAU', { detail: 'không phải sổ tính trả lời của cổng kết nối (không có cột «Kết quả»)' });
    return await statusSpilled(ctx, checked, out, state, spill);
  } finally {
    spill.dispose();
  }
}

/** Rows of the earlier answer per question to the queue. */
const STATUS_PAGE = 500;

async function statusSpilled(ctx: AppContext, checked: CheckedWorkbook, out: string, state: AnswerState, spill: SubmissionSpill): Promise<StatusSummary> {
  const { file, sheets } = checked;
  const delivery = await createDelivery(ctx, { worker: false, relay: false });
  // The earlier answer's problems are in the spill already; refusals found now come after them.
  const outcomes = spill;
  const issues = spill;
  const keepHeap = heapKeeper();
  let changed = 0;
  try {
    for (let part = spill.answeredAfter(0, STATUS_PAGE); part.length > 0; part = spill.answeredAfter(part[part.length - 1].row, STATUS_PAGE)) {
      keepHeap(part.length);
      const ids = part.map(({ answered: r }) => r.trackingId ?? '');
      const states = await delivery.track(ids.filter(Boolean));
      const byId = new Map(ids.filter(Boolean).map((id, k) => [id, states[k]]));
      for (const { row, answered: r } of part) {
        const before = r.status ?? 'ERROR';
        const tracked = r.trackingId ? byId.get(r.trackingId) : undefined;
        if (!tracked || before === 'INVALID') {
          outcomes.set(row, { status: before, trackingId: r.trackingId, message: '', soDinhDanh: r.soDinhDanh });
          continue;
        }
        const now = fromTracking(r.trackingId!, 0, tracked, RECORD_SHEET.columns[0].header);
        const status: RowStatus = before === 'UNCHANGED' ? 'UNCHANGED' : now.status;
        if (now.status === 'INVALID') {
          // Refused by the central database after it was queued: its reasons, on the row.
          for (const e of now.errors) issues.addIssue({ ref: cellRef(RECORD_SHEET.name, 1, row), row, soDinhDanh: r.soDinhDanh, code: e.code, message: e.message });
        }
        if (status !== before || (before === 'UNCHANGED' && now.status !== 'QUEUED')) changed++;
        outcomes.set(row, { status, earlier: before === 'UNCHANGED' ? now.status : undefined, trackingId: r.trackingId, message: now.message ?? '', soDinhDanh: r.soDinhDanh });
      }
    }
  } finally {
    await delivery.close();
  }
  const tmp = `${out}.${process.pid}.tmp.xlsx`;
  await writeAnswerWorkbook(file, tmp, { outcomes, issues, summary: { unit: state.unit ?? '', softwareId: state.softwareId ?? '', at: new Date().toISOString(), title: 'TÌNH TRẠNG ĐỒNG BỘ CÁC DÒNG CỦA SỔ TÍNH' } }, sheets);
  await rename(tmp, out);
  return { ...summaryOf(outcomes), changed, out };
}

export async function workbookTemplate(file: string, options: { examples?: number; unit?: string }): Promise<{ out: string; examples: number }> {
  const r = await writeTemplate(file, options);
  return { out: file, examples: r.examples };
}
