/**
 * `ndxp doi-soat …`: the centre's daily matching against the National Population Database.
 *   fetch [--unit U]                       fetch new results now (resumes after the last stored)
 *   list [--unit U] [--state open|closed|all] [--limit N]   mismatches (personal ids masked)
 *   summary [--unit U]                     results by outcome, open mismatches by field and unit, feeds
 *   report --unit U --out FILE.xlsx        the unit's workbook of records to correct
 */
import type { Command } from 'commander';
import { CliFailure, UsageError, print, table, type CliHost, type VerbRunner } from '../../core/cli-output.js';
import { maskPersonalId } from '../delivery/status.js';
import { DoiSoatError } from './errors.js';
import { fetchResults, listMismatches, summary } from './service.js';
import { writeReport } from './report.js';
import { fieldLabel } from './fields.js';

/** This area's refusals: bad input is usage (exit 2), the rest failures (exit 1). */
export const translate = (err: unknown): Error | undefined => {
  if (!(err instanceof DoiSoatError)) return undefined;
  return err.status === 400 ? new UsageError(err.message) : new CliFailure(err.message, err.code);
};

export function register(program: Command, cli: CliHost): void {
  const run: VerbRunner = (cmd, fn) => cli.runVerb(cmd, fn, translate);
  const ds = program.command('doi-soat').description('kết quả đối soát hằng ngày với CSDL quốc gia về dân cư');

  ds.command('fetch')
    .description('lấy ngay các kết quả đối soát mới (tiếp tục sau kết quả đã lưu gần nhất)')
    .option('--unit <code>', 'chỉ đơn vị này (mặc định: các đơn vị của mã kết nối và hồ sơ đã gửi)')
    .action(async (_o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const report = await fetchResults(ctx, opts.unit ? { units: [String(opts.unit)] } : {});
        const failed = report.units.filter((u) => u.error);
        print(opts, report, [
          `Đã lấy ${report.fetched} kết quả; mở ${report.opened} chênh lệch mới, đóng ${report.closed} chênh lệch đã sửa.`,
          ...report.units.map((u) => `  ${u.unit}: ${u.fetched} kết quả, đến ${u.since ?? '—'}${u.error ? ` — DỪNG: ${u.error.message} (${u.error.code}); lần lấy sau sẽ tiếp tục từ đây` : ''}`),
        ]);
        if (failed.length) throw new CliFailure(`Không lấy hết được kết quả của ${failed.map((u) => u.unit).join(', ')}; phần đã lấy được đã lưu`, failed[0].error!.code, report);
      }),
    );

  ds.command('list')
    .description('các trường lệch với CSDL dân cư (số định danh được che)')
    .option('--unit <code>', 'đơn vị (kể cả đơn vị trực thuộc)')
    .option('--state <state>', 'open | closed | all', 'open')
    .option('--limit <n>', 'số dòng tối đa', '1000')
    .action(async (_o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const state = String(opts.state);
        if (!['open', 'closed', 'all'].includes(state)) throw new UsageError('--state phải là open, closed hoặc all');
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit <= 0) throw new UsageError('--limit phải là số nguyên dương');
        const list = (await listMismatches(ctx, { unit: opts.unit as string | undefined, state: state as 'open', limit })).map((m) => ({ ...m, soDinhDanh: maskPersonalId(m.soDinhDanh)! }));
        print(
          opts,
          { mismatches: list },
          table(
            list.map((m) => ({ id: m.soDinhDanh, unit: m.maDonVi, field: fieldLabel(m.truong), ours: m.giaTriHoSo, register: m.giaTriDanCu, day: m.lastSeenDay, state: m.state, answeredBy: m.answeredBy, closedBy: m.closedBy })),
            ['id', 'unit', 'field', 'ours', 'register', 'day', 'state', 'answeredBy', 'closedBy'],
          ),
        );
      }),
    );

  ds.command('summary')
    .description('tổng hợp kết quả đối soát và chênh lệch đang mở')
    .option('--unit <code>', 'đơn vị (kể cả đơn vị trực thuộc)')
    .action(async (_o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const s = await summary(ctx, { unit: opts.unit as string | undefined });
        print(opts, s, [
          `Kết quả đối soát đã lấy: ${s.results.total} (khớp ${s.results.byKetQua.KHOP ?? 0}, không khớp ${s.results.byKetQua.KHONG_KHOP ?? 0}, không tìm thấy ${s.results.byKetQua.KHONG_TIM_THAY ?? 0})`,
          `Chênh lệch đang mở: ${s.open.total} (đã gửi bản sửa, chờ đối soát lại: ${s.open.answered}); đã đóng: ${s.closed}`,
          ...Object.entries(s.open.byField).map(([f, n]) => `  ${fieldLabel(f)}: ${n}`),
          'Theo đơn vị:',
          ...Object.entries(s.open.byUnit).map(([u, n]) => `  ${u}: ${n}`),
          'Nguồn kết quả:',
          ...s.feeds.map((f) => `  ${f.unit}: đến ${f.since ?? '—'}, lấy lúc ${f.fetchedAt ?? '—'}${f.lastError ? `; lỗi lần gần nhất: ${f.lastError}` : ''}`),
        ]);
      }),
    );

  ds.command('report')
    .description('bảng Excel các hồ sơ cần sửa của một đơn vị (cho bộ phận tổ chức cán bộ)')
    .requiredOption('--unit <code>', 'đơn vị (kể cả đơn vị trực thuộc)')
    .requiredOption('--out <file>', 'tệp .xlsx')
    .action(async (_o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const r = await writeReport(ctx, String(opts.unit), String(opts.out));
        print(opts, r, `Đã ghi ${r.records} hồ sơ cần sửa (${r.fields} trường) của đơn vị ${r.unit} vào ${r.file}`);
      }),
    );
}
