/**
 * Reading workbooks streamed: text survives chunk boundaries (exceljs decodes each chunk on its
 * own, which cuts multi-byte characters in two; the reader decodes across chunks).
 */
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { cleanup, tempDir } from './helpers/env.js';
import { checkWorkbook, sheetRows } from '../adapters/excel/read.js';
import { buildWorkbook, cellAt, examples, RECORDS, toTcvn3 } from './excel-helpers.js';
import { inspectWorkbookZip } from '../adapters/excel/zip-guard.js';
import { RECORD_SHEET } from '../adapters/excel/layout.js';

afterAll(cleanup);

describe('the streaming row reader', () => {
  it.each([false, true])('keeps every Vietnamese character whole, across the chunks a large sheet is read in (shared strings: %s)', async (useSharedStrings) => {
    const file = path.join(tempDir(), 'dai.xlsx');
    // The sheet comes before any shared-strings part: it is parked in a temporary file and read
    // back in 64 kB chunks; with shared strings, those are read from the zip in chunks too.
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings });
    const ws = wb.addWorksheet(RECORD_SHEET.name);
    ws.addRow(['Số định danh cá nhân', 'Quê quán']).commit();
    const text = (i: number) => `Xã Ưng Hòe, huyện Ứng Hòa, thành phố Hà Nội — dòng ${i} — Nguyễn Thị Hương, Đặng Văn Lượng, Trần Thị Ngọc Ánh`.repeat(2);
    const rows = 3000;
    for (let i = 0; i < rows; i++) ws.addRow([String(100000000000 + i), text(i)]).commit();
    ws.commit();
    await wb.commit();
    const { sheets } = await inspectWorkbookZip(file);
    let seen = 0;
    const broken: number[] = [];
    for await (const r of sheetRows(file, undefined, undefined, sheets)) {
      if (r.cells.queQuan?.v !== text(r.row - 2)) broken.push(r.row);
      seen++;
    }
    expect(seen).toBe(rows);
    expect(broken).toEqual([]);
  });

  it('reads the same workbook the same way every time, whatever order its parts were written in', async () => {
    // exceljs's own writer puts the shared strings and styles after the sheets; read as written,
    // a header now and then came out as {sharedString: 0} and dates as serial numbers.
    const dir = tempDir();
    const failures: string[] = [];
    for (let k = 0; k < 30; k++) {
      const file = await buildWorkbook(path.join(dir, `w${k}.xlsx`), examples(100, 6), (wb) => {
        const name = cellAt(wb.getWorksheet(RECORDS)!, 5, 'Họ và tên');
        name.value = toTcvn3('Nguyễn Văn Hải');
        name.font = { name: '.VnTime' };
      });
      const checked = await checkWorkbook(file);
      try {
        for (let pass = 0; pass < 3; pass++) {
          const seen: string[] = [];
          try {
            for await (const r of sheetRows(checked.file, undefined, undefined, checked.sheets)) {
              if (r.sheet.layout.key === 'hoSo') seen.push(`${r.row}:${JSON.stringify(r.cells.ngayTuyenDung?.v)}:${r.cells.hoVaTen?.t3 ?? 0}`);
            }
          } catch (err) {
            failures.push(`${k}/${pass}: ${(err as Error).message}`);
            continue;
          }
          // Dates as dates, the TCVN3 font seen, every time.
          if (seen.length !== 6 || !seen.every((x) => x.includes('{"d":')) || !seen[3].endsWith(':1')) failures.push(`${k}/${pass}: ${seen.join(' ')}`);
        }
      } finally {
        await checked.dispose();
      }
    }
    expect(failures).toEqual([]);
  }, 60_000);
});
