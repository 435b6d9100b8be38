/**
 * The Excel front end to end: workbooks built with exceljs, submitted through `ndxp excel`
 * (the real program, in-process) against a real gateway and the central simulator, answers read
 * back cell by cell.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { cleanup, REPO } from './helpers/env.js';
import { eventually } from './helpers/http.js';
import { buildWorkbook, cellAt, columnOf, examples, excelSetup, readWorkbook, RECORDS, SOFTWARE, toTcvn3, UNIT, type ExcelSetup } from './excel-helpers.js';
import profileSchema from '../adapters/national/contract/profile.schema.json' with { type: 'json' };
import { RECORD_SHEET } from '../adapters/excel/layout.js';
import { frontById, operationsOf, vendorIds } from '../adapters/registry.js';
import { suspendKey, activateKey } from '../gateway/keys/service.js';

afterAll(cleanup);

let s: ExcelSetup;
beforeAll(async () => {
  s = await excelSetup();
}, 60_000);

const submit = (file: string, out: string, extra: string[] = []) => s.cli(['excel', 'submit', file, '--unit', UNIT, '--software', SOFTWARE, '--out', out, '--json', ...extra]);
const outboxOf = (id: string) => s.h.ctx.store.db.selectFrom('outbox').selectAll().where('subject_id', '=', id).orderBy('created_at').execute();

describe('the excel front', () => {
  it('is registered with one line: keys of vendor excel, its operations, no data-plane path', () => {
    expect(vendorIds).toContain('excel');
    expect(operationsOf('excel')).toEqual(['submitProfiles', 'status']);
    expect(frontById('excel')?.paths).toEqual([]);
  });

  it('needs nothing outside its folder but the registry line and its own area (gateway/excel), registered by one line each', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && /(adapters\/excel|\/excel)\/[\w-]+\.js['"]/.test(readFileSync(p, 'utf8'))) offenders.push(path.relative(REPO, p));
      }
    };
    for (const top of ['adapters', 'gateway', 'core', 'certs', 'config', 'central-sim']) walk(path.join(REPO, top));
    expect(offenders.filter((f) => !f.startsWith('adapters/excel/') && !f.startsWith('gateway/excel/')).sort()).toEqual(['adapters/registry.ts', 'gateway/cli/main.ts', 'gateway/runtime.ts']);
    for (const [file, pattern] of [['adapters/registry.ts', /excel/gi], ['gateway/cli/main.ts', /registerExcel/g], ['gateway/runtime.ts', /excelAdminModule/g]] as const) {
      // The import and the one use.
      expect(readFileSync(path.join(REPO, file), 'utf8').match(pattern)!.length, file).toBeLessThanOrEqual(file === 'adapters/registry.ts' ? 3 : 2);
    }
  });
});

describe('ndxp excel template', () => {
  it('writes the records sheet, the repeating parts, drop-downs, date formats, instructions and N valid example rows', async () => {
    const file = path.join(s.dir, 'mau.xlsx');
    const r = await s.cli(['excel', 'template', '--out', file, '--example', '3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ out: file, examples: 3 });
    const wb = await readWorkbook(file);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Hướng dẫn', 'Hồ sơ', 'Quá trình công tác', 'Khen thưởng', 'Kỷ luật', 'Chức vụ', 'Danh mục']);
    expect(wb.getWorksheet('Danh mục')!.state).toBe('hidden');
    expect(String(wb.getWorksheet('Hướng dẫn')!.getCell('A1').value)).toContain('HƯỚNG DẪN');
    const ws = wb.getWorksheet(RECORDS)!;
    // Every member the national schema requires (but the signature) has a column.
    for (const member of profileSchema.required.filter((m) => m !== 'chuKySo')) expect(RECORD_SHEET.columns.some((c) => c.pointer.split('/')[1] === member), member).toBe(true);
    expect(cellAt(ws, 1, 'Họ và tên').note).toBeDefined();
    // Coded columns: a drop-down from the hidden lists sheet (or an inline list).
    const danToc = columnOf(ws, 'Dân tộc');
    expect(ws.getCell(2, danToc).dataValidation).toMatchObject({ type: 'list', formulae: [expect.stringMatching(/^'Danh mục'!\$A\$2:\$A\$\d+$/)] });
    expect(ws.getCell(50, columnOf(ws, 'Giới tính')).dataValidation).toMatchObject({ type: 'list', formulae: ['"Nam,Nữ,Chưa có thông tin"'] });
    expect(wb.getWorksheet('Khen thưởng')!.getCell(2, 2).dataValidation).toMatchObject({ type: 'list' });
    expect(wb.getWorksheet('Danh mục')!.getCell('A2').value).toBe('01 - Kinh');
    // Dates as dd/MM/yyyy; ids as text.
    expect(cellAt(ws, 2, 'Ngày tuyển dụng').numFmt).toBe('dd/mm/yyyy');
    expect(cellAt(ws, 2, 'Ngày tuyển dụng').value).toBeInstanceOf(Date);
    expect(cellAt(ws, 2, 'Số định danh cá nhân').value).toMatch(/^\d{12}$/);
    expect(ws.getCell(4, 1).value).not.toBeNull();
    expect(ws.getCell(5, 1).value).toBeNull();
  });
});

describe('ndxp excel submit', () => {
  it('sends valid rows, answers invalid cells with highlighted comments naming the problem, repairs TCVN3 cells; records say nguon excel', async () => {
    const rows = examples(100, 6);
    const tcvnName = 'Nguyễn Văn Hải';
    const file = await buildWorkbook(path.join(s.dir, 'gui-1.xlsx'), rows, (wb) => {
      const ws = wb.getWorksheet(RECORDS)!;
      // Row 3: a date that does not exist, an ethnic group not in the list.
      cellAt(ws, 3, 'Ngày sinh').value = '31/02/1980';
      cellAt(ws, 3, 'Dân tộc').value = 'Sao Hỏa';
      // Row 4: its work history (on its own sheet) has month 13.
      const history = wb.getWorksheet('Quá trình công tác')!;
      history.getCell(4, columnOf(history, 'Từ tháng')).value = '13/2015';
      // Row 5: the name typed in a TCVN3 font.
      const name = cellAt(ws, 5, 'Họ và tên');
      name.value = toTcvn3(tcvnName);
      name.font = { name: '.VnTime' };
      // Row 6: the required salary coefficient left empty.
      cellAt(ws, 6, 'Hệ số lương').value = null;
    });
    const out = path.join(s.dir, 'tra-loi-1.xlsx');
    const r = await submit(file, out);
    expect(r.code, r.stderr + String(r.error)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 6, synchronised: 3, queued: 0, invalid: 3, stale: 0, unchanged: 0 });

    const wb = await readWorkbook(out);
    expect(wb.worksheets[0].name).toBe('Kết quả tổng hợp');
    const ws = wb.getWorksheet(RECORDS)!;
    const result = (row: number) => cellAt(ws, row, 'Kết quả').value;
    expect([2, 3, 4, 5, 6, 7].map(result)).toEqual(['Đã đồng bộ', 'Không hợp lệ', 'Không hợp lệ', 'Đã đồng bộ', 'Không hợp lệ', 'Đã đồng bộ']);
    for (const row of [2, 5, 7]) expect(cellAt(ws, row, 'Mã theo dõi').value).toMatch(/^TD[0-9A-Z]{25}$/);

    const birth = cellAt(ws, 3, 'Ngày sinh');
    expect(birth.fill).toMatchObject({ type: 'pattern', fgColor: { argb: 'FFFF9999' } });
    expect(String(birth.note)).toContain('ngày 31/02/1980 không tồn tại');
    expect(String(cellAt(ws, 3, 'Dân tộc').note)).toMatch(/Sao Hỏa.*không có trong danh mục/);
    expect(cellAt(ws, 3, 'Họ và tên').note).toBeUndefined();
    expect(String(cellAt(ws, 3, 'Chi tiết').value)).toContain(`${birth.address}:`);
    const history = wb.getWorksheet('Quá trình công tác')!;
    const month = history.getCell(4, columnOf(history, 'Từ tháng'));
    expect(String(month.note)).toContain('tháng 13 không hợp lệ');
    expect(month.fill).toMatchObject({ fgColor: { argb: 'FFFF9999' } });
    expect(String(cellAt(ws, 6, 'Hệ số lương').note)).toContain('Thiếu thông tin bắt buộc');

    // Summary and the list of every problem.
    const summary = wb.getWorksheet('Kết quả tổng hợp')!;
    const line = (label: string) => summary.getRows(1, 20)!.find((r) => String(r.getCell(1).value).startsWith(label))!.getCell(2).value;
    expect(line('Số dòng hồ sơ')).toBe(6);
    expect(line('Không hợp lệ')).toBe(3);
    const list = wb.getWorksheet('Danh sách lỗi')!;
    expect(list.getCell(1, 1).value).toBe('Ô');
    expect(list.getColumn(1).values).toContain(`'Hồ sơ'!${birth.address}`);

    // `excel status` on this answer puts every problem back where it was: the list, each red
    // cell with its comment, each invalid row's detail.
    const later = path.join(s.dir, 'tra-loi-1-status.xlsx');
    const st = await s.cli(['excel', 'status', out, '--out', later, '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ rows: 6, synchronised: 3, invalid: 3, changed: 0 });
    const rewritten = await readWorkbook(later);
    expect(rewritten.getWorksheet('Danh sách lỗi')!.getSheetValues()).toEqual(list.getSheetValues());
    const marked = (w: ExcelJS.Worksheet) => {
      const found: [string, string, unknown][] = [];
      w.eachRow((r) => r.eachCell((c) => void (c.note && found.push([c.address, String(c.note), (c.fill as { fgColor?: unknown })?.fgColor]))));
      return found;
    };
    for (const name of [RECORDS, 'Quá trình công tác']) {
      expect(marked(rewritten.getWorksheet(name)!).length, name).toBeGreaterThan(0);
      expect(marked(rewritten.getWorksheet(name)!), name).toEqual(marked(wb.getWorksheet(name)!));
    }
    const again = rewritten.getWorksheet(RECORDS)!;
    for (const row of [3, 4, 6]) {
      const detail = String(cellAt(again, row, 'Chi tiết').value);
      expect(detail, `row ${row}`).toMatch(/^[A-Z]+\d+: /);
      expect(String(cellAt(ws, row, 'Chi tiết').value)).toContain(detail);
    }

    // What left: the repaired name, signed, with its provenance.
    const [sent] = await outboxOf(rows[3].record.soDinhDanh as string);
    const body = JSON.parse(sent.body!);
    expect(body.hoVaTen).toBe(tcvnName);
    expect(body.nguon).toEqual({ maPhanMem: SOFTWARE, maDonViGui: UNIT, dinhDangGoc: 'excel' });
    expect(body.chuKySo.thuatToan).toBe('ES256');
    expect(sent.front).toBe('excel');
    expect(s.h.sim.journal({ id: rows[0].record.soDinhDanh as string })).toHaveLength(1);
    // The trail holds the exchange, as for every front.
    const trail = await s.h.ctx.store.db.selectFrom('audit_entries').select(['front', 'kind', 'key_id', 'outcome']).where('front', '=', 'excel').execute();
    expect(trail).toContainEqual({ front: 'excel', kind: 'exchange', key_id: s.keyId, outcome: 'mixed' });
  }, 60_000);

  it('does not send again the rows unchanged since the last submission; a corrected answer sends the corrected rows only', async () => {
    const rows = examples(200, 4);
    const file = await buildWorkbook(path.join(s.dir, 'gui-2.xlsx'), rows, (wb) => {
      cellAt(wb.getWorksheet(RECORDS)!, 3, 'Ngày sinh').value = '30/02/1981';
    });
    const first = path.join(s.dir, 'tra-loi-2a.xlsx');
    expect(JSON.parse((await submit(file, first)).stdout)).toMatchObject({ rows: 4, synchronised: 3, invalid: 1 });
    const applied = s.h.sim.stats().applied;

    // The same workbook again: nothing is sent.
    const again = path.join(s.dir, 'tra-loi-2b.xlsx');
    expect(JSON.parse((await submit(file, again)).stdout)).toMatchObject({ rows: 4, synchronised: 0, invalid: 1, unchanged: 3 });
    expect(s.h.sim.stats().applied).toBe(applied);
    const ws = (await readWorkbook(again)).getWorksheet(RECORDS)!;
    expect(cellAt(ws, 2, 'Kết quả').value).toBe('Không đổi, không gửi lại (đã đồng bộ)');
    expect(cellAt(ws, 2, 'Mã theo dõi').value).toBe((await outboxOf(rows[0].record.soDinhDanh as string))[0].tracking_id);

    // The clerk corrects the red cell in the answer and sends the answer back.
    const answer = await readWorkbook(first);
    const fixed = answer.getWorksheet(RECORDS)!;
    cellAt(fixed, 3, 'Ngày sinh').value = '28/02/1981';
    const corrected = path.join(s.dir, 'gui-2c.xlsx');
    await answer.xlsx.writeFile(corrected);
    const third = path.join(s.dir, 'tra-loi-2c.xlsx');
    expect(JSON.parse((await submit(corrected, third)).stdout)).toMatchObject({ rows: 4, synchronised: 1, invalid: 0, unchanged: 3 });
    expect(s.h.sim.stats().applied).toBe(applied + 1);
    const ws3 = (await readWorkbook(third)).getWorksheet(RECORDS)!;
    expect(cellAt(ws3, 3, 'Kết quả').value).toBe('Đã đồng bộ');
    expect(cellAt(ws3, 3, 'Ngày sinh').note).toBeUndefined();
    // The result columns were rewritten in place, not added again.
    expect(ws3.getRow(1).values).toEqual(expect.arrayContaining(['Kết quả', 'Mã theo dõi', 'Chi tiết']));
    expect((ws3.getRow(1).values as unknown[]).filter((v) => v === 'Kết quả')).toHaveLength(1);
  }, 60_000);

  it('says "older than stored" for a row older than the central database holds', async () => {
    const [row] = examples(300, 1);
    const newer = await buildWorkbook(path.join(s.dir, 'gui-3a.xlsx'), [row]);
    expect(JSON.parse((await submit(newer, path.join(s.dir, 'tra-loi-3a.xlsx'))).stdout)).toMatchObject({ synchronised: 1 });
    const older = await buildWorkbook(path.join(s.dir, 'gui-3b.xlsx'), [row], (wb) => {
      const ws = wb.getWorksheet(RECORDS)!;
      cellAt(ws, 2, 'Ngày cập nhật').value = new Date(Date.UTC(2024, 0, 1, 8));
    });
    const out = path.join(s.dir, 'tra-loi-3b.xlsx');
    expect(JSON.parse((await submit(older, out)).stdout)).toMatchObject({ rows: 1, stale: 1 });
    expect(cellAt((await readWorkbook(out)).getWorksheet(RECORDS)!, 2, 'Kết quả').value).toBe('Cũ hơn bản đã lưu');
  }, 60_000);

  it('queues rows while the central database is down; `ndxp excel status` fills in what the queue delivered since', async () => {
    const rows = examples(400, 3);
    const file = await buildWorkbook(path.join(s.dir, 'gui-4.xlsx'), rows);
    const out = path.join(s.dir, 'tra-loi-4.xlsx');
    await s.h.sim.setFaults({ down: true });
    try {
      expect(JSON.parse((await submit(file, out)).stdout)).toMatchObject({ rows: 3, queued: 3, synchronised: 0 });
    } finally {
      await s.h.sim.resetFaults();
    }
    expect(cellAt((await readWorkbook(out)).getWorksheet(RECORDS)!, 2, 'Kết quả').value).toBe('Đang chờ đồng bộ');
    await eventually(async () => (await Promise.all(rows.map((r) => outboxOf(r.record.soDinhDanh as string)))).every(([o]) => o?.state === 'delivered'), 30_000, 200);

    const st = await s.cli(['excel', 'status', out, '--json']);
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ rows: 3, synchronised: 3, queued: 0, changed: 3 });
    const ws = (await readWorkbook(out)).getWorksheet(RECORDS)!;
    expect([2, 3, 4].map((r) => cellAt(ws, r, 'Kết quả').value)).toEqual(['Đã đồng bộ', 'Đã đồng bộ', 'Đã đồng bộ']);
  }, 90_000);

  it('refuses without a key of vendor excel for the software, and with a suspended key; nothing is written', async () => {
    const file = await buildWorkbook(path.join(s.dir, 'gui-5.xlsx'), examples(500, 1));
    const out = path.join(s.dir, 'tra-loi-5.xlsx');
    const none = await s.cli(['excel', 'submit', file, '--unit', UNIT, '--software', 'KHONG-CO', '--out', out, '--json']);
    expect(none.code).toBe(1);
    expect(none.error).toMatchObject({ code: 'EXCEL_CHUA_CO_MA_KET_NOI' });
    await suspendKey(s.h.ctx, s.keyId, 'test', 'test');
    try {
      const suspended = await submit(file, out);
      expect(suspended.error).toMatchObject({ code: 'KHOA_KET_NOI_KHONG_HOP_LE' });
    } finally {
      await activateKey(s.h.ctx, s.keyId, 'test');
    }
    expect(existsSync(out)).toBe(false);
    expect(await outboxOf(examples(500, 1)[0].record.soDinhDanh as string)).toEqual([]);
    const refusals = await s.h.ctx.store.db.selectFrom('audit_entries').select(['kind', 'code']).where('front', '=', 'excel').where('kind', '=', 'refusal').execute();
    expect(refusals).toContainEqual({ kind: 'refusal', code: 'KHOA_KET_NOI_KHONG_HOP_LE' });
  }, 60_000);
});

describe('hostile workbooks', () => {
  const refused = async (file: string, code: string) => {
    const out = `${file}.answer.xlsx`;
    const r = await submit(file, out);
    expect(r.code).toBe(1);
    expect(r.error, r.stderr).toMatchObject({ code });
    // With --json the one document on stdout is the error itself; nothing else is printed.
    if (r.stdout) expect(JSON.parse(r.stdout)).toMatchObject({ error: { code } });
    expect(existsSync(out)).toBe(false);
    return r;
  };

  it('refuses a formula, naming its cell', async () => {
    const file = await buildWorkbook(path.join(s.dir, 'cong-thuc.xlsx'), examples(600, 2), (wb) => {
      cellAt(wb.getWorksheet(RECORDS)!, 3, 'Bậc lương').value = { formula: '1+1', result: 2 } as ExcelJS.CellFormulaValue;
    });
    const r = await refused(file, 'EXCEL_CO_CONG_THUC');
    expect((r.error as Error).message).toMatch(/Ô T3 .*chứa công thức/);
    expect(await outboxOf(examples(600, 1)[0].record.soDinhDanh as string)).toEqual([]);
  });

  it('refuses a sheet with a 1,000,000th row', async () => {
    const file = await buildWorkbook(path.join(s.dir, 'trieu-dong.xlsx'), examples(610, 1), (wb) => {
      wb.getWorksheet(RECORDS)!.getCell(1_000_000, 1).value = '001090000001';
    });
    const r = await refused(file, 'EXCEL_QUA_NHIEU_DONG');
    expect((r.error as Error).message).toContain('Hồ sơ');
  });

  it('refuses what is not an .xlsx: an old .xls (OLE), a text file, a .docx-like zip', async () => {
    const { writeFileSync } = await import('node:fs');
    const ole = path.join(s.dir, 'cu.xls');
    writeFileSync(ole, Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(600)]));
    await refused(ole, 'TEP_KHONG_PHAI_EXCEL');
    const txt = path.join(s.dir, 'van-ban.xlsx');
    writeFileSync(txt, 'Họ và tên;Ngày sinh\n');
    await refused(txt, 'TEP_KHONG_PHAI_EXCEL');
    const JSZip = (await import('jszip')).default;
    const docx = new JSZip();
    docx.file('word/document.xml', '<w:document/>');
    const docxFile = path.join(s.dir, 'tai-lieu.xlsx');
    writeFileSync(docxFile, await docx.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
    await refused(docxFile, 'TEP_KHONG_PHAI_EXCEL');
  });

  it('refuses macros, external links and zip bombs before reading a row', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    const JSZip = (await import('jszip')).default;
    const base = await buildWorkbook(path.join(s.dir, 'goc.xlsx'), examples(620, 1));
    const variant = async (name: string, edit: (z: InstanceType<typeof JSZip>) => void) => {
      const zip = await JSZip.loadAsync(readFileSync(base));
      edit(zip);
      const file = path.join(s.dir, name);
      writeFileSync(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
      return file;
    };
    await refused(await variant('macro.xlsx', (z) => z.file('xl/vbaProject.bin', Buffer.alloc(512, 1))), 'EXCEL_CO_MACRO');
    await refused(await variant('lien-ket.xlsx', (z) => z.file('xl/externalLinks/externalLink1.xml', '<externalLink/>')), 'EXCEL_CO_LIEN_KET_NGOAI');
    // 40 MB of zeros in 40 kB (ratio 1000): refused from the central directory alone.
    await refused(await variant('bom.xlsx', (z) => z.file('xl/media/image1.png', Buffer.alloc(40 * 1024 * 1024))), 'EXCEL_QUA_LON');
    expect(await outboxOf(examples(620, 1)[0].record.soDinhDanh as string)).toEqual([]);
  }, 120_000);
});
