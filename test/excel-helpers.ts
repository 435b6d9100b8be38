/**
 * Helpers of the Excel front's tests: a gateway with the simulator and a unit ready for
 * workbooks (signing certificate, a key of vendor `excel`), the CLI pointed at its store, and
 * reading answer workbooks back cell by cell with exceljs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { createKey } from '../gateway/keys/service.js';
import { startHarness, type Harness, type HarnessOptions } from './helpers/gateway.js';
import { tempDir } from './helpers/env.js';
import { ndxp, type CliRun } from './helpers/cli.js';

export const UNIT = '000.00.00.H06';
export const SOFTWARE = 'SO-TINH-H06';

export interface ExcelSetup {
  h: Harness;
  dir: string;
  config: string;
  keyId: string;
  cli(args: string[]): Promise<CliRun>;
}

export async function excelSetup(options: HarnessOptions = {}, key: { encoding?: 'unicode' | 'tcvn3' } = {}): Promise<ExcelSetup> {
  const h = await startHarness(options);
  await h.signingCertFor(UNIT);
  const created = await createKey(h.ctx, { softwareId: SOFTWARE, unitCode: UNIT, vendor: 'excel', ...(key.encoding ? { encoding: key.encoding } : {}) }, 'test');
  const dir = tempDir('ndxp-excel-');
  const c = h.ctx.config;
  const config = path.join(dir, 'ndxp.json');
  writeFileSync(config, JSON.stringify({ dataDir: c.dataDir, databaseUrl: c.databaseUrl, databaseSchema: c.databaseSchema, redisUrl: c.redisUrl, redisPrefix: c.redisPrefix, centralUrl: h.sim.url, centralToken: c.centralToken }));
  return { h, dir, config, keyId: created.keyId, cli: (args) => ndxp([...args, '--config', config]) };
}

export async function readWorkbook(file: string): Promise<ExcelJS.Workbook> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  return wb;
}

/** Column index of a header on row 1. */
export function columnOf(ws: ExcelJS.Worksheet, header: string): number {
  let found = 0;
  ws.getRow(1).eachCell((cell, col) => {
    if (String(cell.value) === header) found = col;
  });
  if (!found) throw new Error(`no column ${header} on ${ws.name}`);
  return found;
}

/** A cell by row and header. */
export function cellAt(ws: ExcelJS.Worksheet, row: number, header: string): ExcelJS.Cell {
  return ws.getRow(row).getCell(columnOf(ws, header));
}

import { DATA_SHEETS, RECORD_SHEET } from '../adapters/excel/layout.js';
import { exampleRecord } from '../adapters/excel/template.js';
import { TCVN3_TABLE } from '../adapters/text/index.js';

export type Example = ReturnType<typeof exampleRecord>;

/** Valid example rows `from`..`from+count-1` (distinct personal ids per test). */
export function examples(from: number, count: number): Example[] {
  return Array.from({ length: count }, (_, k) => exampleRecord(from + k, UNIT));
}

/** A workbook in the template's layout with these rows; `tweak` edits it before it is written. */
export async function buildWorkbook(file: string, rows: Example[], tweak?: (wb: ExcelJS.Workbook) => void): Promise<string> {
  const wb = new ExcelJS.Workbook();
  for (const layout of DATA_SHEETS) {
    const ws = wb.addWorksheet(layout.name);
    ws.addRow(layout.columns.map((c) => c.header));
    for (const ex of rows) {
      const items = layout.key === 'hoSo' ? [ex.record] : (ex.parts[layout.key] ?? []);
      for (const item of items) ws.addRow(layout.columns.map((c) => (item[c.key] ?? null) as ExcelJS.CellValue));
    }
  }
  tweak?.(wb);
  await wb.xlsx.writeFile(file);
  return file;
}

/** Unicode text → TCVN3 as a .VnTime-typed cell holds it (each TCVN3 byte as a Latin-1 character). */
export function toTcvn3(text: string): string {
  const reverse = new Map<string, number>();
  for (const [byte, ch] of TCVN3_TABLE) if (!reverse.has(ch)) reverse.set(ch, byte);
  return [...text.normalize('NFC')].map((ch) => (reverse.has(ch) ? String.fromCharCode(reverse.get(ch)!) : ch)).join('');
}

export const RECORDS = RECORD_SHEET.name;
