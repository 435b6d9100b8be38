/**
 * `ndxp units …`: the unit re-mapping table and the current unit tree from the command line,
 * straight on the store, through the same loaders (validation, replace-all, audit) as the admin API.
 *
 *   ndxp units remap load FILE   replace all re-mapping rules (unit-remap.sample.json shape)
 *   ndxp units remap list
 *   ndxp units remap add --ma-cu OLD --ma-moi NEW --tu-ngay DATE   (or --ma-cap1-cu / --ma-cap1-moi)
 *   ndxp units remap remove ID
 *   ndxp units load FILE         replace the current tree (array of units, or {donVi: [...]})
 *   ndxp units list [--parent CODE] [--q TEXT]
 *   ndxp units resolve CODE      what a code becomes
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AppContext } from '../../core/context.js';
import { CliFailure, UsageError, cliActor, print, table, type VerbOptions, type CliHost, type VerbRunner } from '../../core/cli-output.js';
import { vietnamDate } from '../../adapters/national/validate.js';
import { UnitDataError } from '../../adapters/national/remap.js';
import { listRemapRules, listUnits, loadRemapRules, loadUnitTree, removeRemapRule, resolveInStore, upsertRemapRule } from './service.js';

type Opts = VerbOptions;

/** This area's errors as bad usage (exit 2) or failures (exit 1); anything else goes to main's mapping. */
const translate = (err: unknown): Error | undefined =>
  err instanceof UnitDataError
    ? new CliFailure(`${err.message}\n${err.issues.map((i) => `  ${i.pointer || '/'}: ${i.message} (${i.code})`).join('\n')}`, err.code, err.issues)
    : undefined;

/** Reads and parses a JSON file; a file that cannot be read is a failure (exit 1, as everywhere), a malformed one bad usage (exit 2). */
function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliFailure(`Không đọc được tệp ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 'KHONG_DOC_DUOC_TEP');
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new UsageError(`Tệp ${file} không phải JSON hợp lệ: ${(err as Error).message}`);
  }
}

export function register(program: Command, cli: CliHost): void {
  const run: VerbRunner = (cmd, fn) => cli.runVerb(cmd, fn, translate);
  const units = program.command('units').description('Cây đơn vị hiện hành và bảng chuyển đổi mã đơn vị (sau sắp xếp 2025)');
  const remap = units.command('remap').description('Bảng quy tắc chuyển đổi mã đơn vị cũ sang mã hiện hành');

  remap
    .command('load')
    .description('Nạp bảng quy tắc (thay toàn bộ bảng cũ), dạng unit-remap.sample.json')
    .argument('<file>', 'tệp JSON {"rules": [...]}')
    .action(async (file: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const report = await loadRemapRules(ctx, readJson(file), cliActor());
        print(o, report, `Đã nạp ${report.total} quy tắc (${report.exact} quy tắc mã chính xác, ${report.level1} quy tắc mã cấp 1); thay thế ${report.replaced} quy tắc cũ.`);
      }),
    );

  remap
    .command('list')
    .description('Liệt kê các quy tắc đang áp dụng')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const rules = await listRemapRules(ctx);
        const rows = rules.map((r) => ({ id: r.id, loai: r.kind === 'exact' ? 'chính xác' : 'cấp 1', maCu: r.maCu, maMoi: r.maMoi, tuNgay: r.tuNgay, ghiChu: r.ghiChu ?? '' }));
        print(o, { count: rules.length, rules }, table(rows, ['id', 'loai', 'maCu', 'maMoi', 'tuNgay', 'ghiChu']));
      }),
    );

  remap
    .command('add')
    .description('Thêm một quy tắc, hoặc sửa quy tắc có cùng mã cũ')
    .option('--ma-cu <code>', 'mã định danh cũ (quy tắc mã chính xác)')
    .option('--ma-moi <code>', 'mã định danh mới')
    .option('--ma-cap1-cu <group>', 'mã cấp 1 cũ (quy tắc cấp 1: thay nhóm cuối của mọi mã trực thuộc)')
    .option('--ma-cap1-moi <group>', 'mã cấp 1 mới')
    .option('--tu-ngay <yyyy-MM-dd>', 'áp dụng từ ngày')
    .option('--ghi-chu <text>', 'ghi chú')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const exact = o.maCu !== undefined || o.maMoi !== undefined;
        const level1 = o.maCap1Cu !== undefined || o.maCap1Moi !== undefined;
        if (exact === level1) throw new UsageError('Cần đúng một cặp --ma-cu/--ma-moi hoặc --ma-cap1-cu/--ma-cap1-moi');
        if (o.tuNgay === undefined) throw new UsageError('Thiếu --tu-ngay');
        const rule: Record<string, unknown> = exact ? { maCu: o.maCu, maMoi: o.maMoi, tuNgay: o.tuNgay } : { maCap1Cu: o.maCap1Cu, maCap1Moi: o.maCap1Moi, tuNgay: o.tuNgay };
        if (o.ghiChu !== undefined) rule.ghiChu = o.ghiChu;
        const result = await upsertRemapRule(ctx, rule, cliActor());
        print(o, result, `${result.replaced ? 'Đã sửa' : 'Đã thêm'} quy tắc ${result.rule.id}: ${result.rule.maCu} → ${result.rule.maMoi} (từ ${result.rule.tuNgay}).`);
      }),
    );

  remap
    .command('remove')
    .description('Xóa một quy tắc theo id (xem "ndxp units remap list")')
    .argument('<id>', 'id của quy tắc')
    .action(async (id: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        if (!/^[0-9]{1,15}$/.test(id)) throw new UsageError('id phải là số nguyên dương');
        if (!(await removeRemapRule(ctx, Number(id), cliActor()))) throw new CliFailure(`Không có quy tắc ${id}`, 'QUY_TAC_KHONG_TON_TAI');
        print(o, { removed: Number(id) }, `Đã xóa quy tắc ${id}.`);
      }),
    );

  units
    .command('load')
    .description('Nạp cây đơn vị hiện hành (thay toàn bộ): mảng đơn vị theo unit.schema.json hoặc {"donVi": [...]}')
    .argument('<file>', 'tệp JSON')
    .action(async (file: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const report = await loadUnitTree(ctx, readJson(file), cliActor());
        print(o, report, [
          `Đã nạp ${report.units} đơn vị (${report.withOldCodes} đơn vị có mã cũ); thay thế ${report.replaced} đơn vị cũ.`,
          ...report.warnings.map((w) => `Cảnh báo: ${w.message} (${w.code})`),
        ]);
      }),
    );

  units
    .command('list')
    .description('Liệt kê cây đơn vị hiện hành')
    .option('--parent <code>', 'chỉ các đơn vị trực thuộc đơn vị này')
    .option('--q <text>', 'đầu mã hoặc một phần tên (không phân biệt dấu)')
    .option('--limit <n>', 'số dòng tối đa', '1000')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit phải là số nguyên dương');
        const result = await listUnits(ctx, { parent: o.parent as string | undefined, q: o.q as string | undefined, limit });
        const rows = result.units.map((u) => ({ ma: u.maDinhDanh, cap: u.cap, ten: u.ten, cha: u.maDonViCha ?? '', hieuLuc: u.hieuLucDen ? `${u.hieuLucTu} → ${u.hieuLucDen}` : u.hieuLucTu, maCu: (u.maCu ?? []).join(', ') }));
        print(o, result, [table(rows, ['ma', 'cap', 'ten', 'cha', 'hieuLuc', 'maCu']), `(${result.units.length}/${result.total} đơn vị)`]);
      }),
    );

  units
    .command('resolve')
    .description('Cho biết một mã đơn vị được chuyển thành mã nào')
    .argument('<code>', 'mã đơn vị')
    .option('--date <yyyy-MM-dd>', 'tính theo ngày này (mặc định: hôm nay)')
    .action(async (code: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const date = (o.date as string | undefined) ?? vietnamDate(new Date());
        if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(date)) throw new UsageError('--date phải có dạng yyyy-MM-dd');
        const result = await resolveInStore(ctx, code, date);
        if ('error' in result) throw new CliFailure(`${result.error.message}`, result.error.code, { input: code, date, ...result });
        const how = result.ruleApplied ? ` (theo ${result.ruleApplied.kind === 'tree' ? 'mã cũ ghi trong cây đơn vị' : result.ruleApplied.kind === 'exact' ? 'quy tắc mã chính xác' : 'quy tắc mã cấp 1'})` : '';
        print(o, { input: code, date, ...result }, [`${code} → ${result.code}${how}`, ...(result.warning ? [`Cảnh báo: ${result.warning.message} (${result.warning.code})`] : [])]);
      }),
    );
}
