import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { cleanup } from './helpers/env.js';
import { cellAt, excelSetup, readWorkbook, SOFTWARE, UNIT, type ExcelSetup } from './excel-helpers.js';

afterAll(cleanup);

describe('excel front through the CLI', () => {
  let s: ExcelSetup;
  beforeAll(async () => {
    s = await excelSetup();
  }, 60_000);

  it('smoke', async () => {
    const tpl = path.join(s.dir, 'mau.xlsx');
    const t = await s.cli(['excel', 'template', '--out', tpl, '--example', '5', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const out = path.join(s.dir, 'tra-loi.xlsx');
    const r = await s.cli(['excel', 'submit', tpl, '--unit', UNIT, '--software', SOFTWARE, '--out', out, '--json']);
    console.log(r.stdout, r.stderr, r.error);
    expect(r.code).toBe(0);
    const wb = await readWorkbook(out);
    console.log(wb.worksheets.map((w) => w.name));
    const ws = wb.getWorksheet('Hồ sơ')!;
    for (let i = 2; i <= 6; i++) console.log(cellAt(ws, i, 'Kết quả').value, cellAt(ws, i, 'Mã theo dõi').value, cellAt(ws, i, 'Chi tiết').value);
  }, 60_000);
});
