/**
 * `ndxp excel template --out FILE [--example N] [--unit CODE]`
 * `ndxp excel submit FILE --unit CODE --software ID --out ANSWER [--json]`
 * `ndxp excel status FILE [--out FILE]`
 * Workbooks for units whose software is not connected yet (service.ts). A submission goes
 * through the request pipeline in this process; on a terminal it draws a progress bar on stderr.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError, cliActor, print, type CliHost } from '../../core/cli-output.js';
import type { SubmitSummary } from './service.js';

/** The workbook service, loaded when a verb runs: exceljs and its dependencies cost every `ndxp` start otherwise. */
const service = () => import('./service.js');

/** A one-line progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): ((done: number, total: number) => void) & { end(): void } {
  const tty = Boolean(stream.isTTY);
  let last = -1;
  const draw = (done: number, total: number) => {
    if (!tty) return;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    if (pct === last) return;
    last = pct;
    const width = 30;
    const filled = Math.round((pct / 100) * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}% ${done}/${total} dòng`);
  };
  return Object.assign(draw, { end: () => (tty && last >= 0 ? void stream.write('\n') : undefined) });
}

const positive = (v: unknown, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${name} phải là số nguyên không âm`);
  return n;
};

function summaryText(s: Omit<SubmitSummary, 'out'>): string {
  return `${s.rows} dòng: đã đồng bộ ${s.synchronised}, đang chờ ${s.queued}, không hợp lệ ${s.invalid}, cũ hơn bản đã lưu ${s.stale}, không đổi ${s.unchanged}, lỗi ${s.errors}`;
}

export function register(program: Command, cli: CliHost): void {
  const excel = program.command('excel').description('sổ tính Excel cho đơn vị chưa kết nối phần mềm: mẫu, gửi, tình trạng');

  excel
    .command('template')
    .description('tạo sổ tính mẫu (tiêu đề tiếng Việt, danh sách thả xuống, hướng dẫn)')
    .requiredOption('--out <file>', 'tệp .xlsx tạo ra')
    .option('--example <n>', 'điền sẵn N dòng hồ sơ mẫu hợp lệ')
    .option('--unit <code>', 'đơn vị của các dòng mẫu', '000.00.00.H06')
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as Record<string, unknown>;
      const { workbookTemplate } = await service();
      const r = await workbookTemplate(path.resolve(String(opts.out)), { examples: positive(opts.example, '--example'), unit: String(opts.unit) });
      print(opts, r, `Đã tạo ${r.out}${r.examples ? ` với ${r.examples} dòng mẫu` : ''}`);
    });

  excel
    .command('submit <file>')
    .description('gửi sổ tính lên CSDL quốc gia qua cổng kết nối; ghi sổ tính trả lời')
    .requiredOption('--unit <code>', 'đơn vị gửi (mã kết nối giao diện excel của đơn vị)')
    .requiredOption('--software <id>', 'mã phần mềm của mã kết nối')
    .requiredOption('--out <file>', 'sổ tính trả lời (.xlsx)')
    .option('--batch <n>', 'số dòng mỗi lần gửi', '500')
    .action(async (file: string, _o: unknown, cmd: Command) =>
      cli.runVerb(cmd, async (ctx, opts) => {
        const bar = progressBar();
        const { submitWorkbook } = await service();
        const r = await submitWorkbook(ctx, path.resolve(file), {
          unit: String(opts.unit),
          softwareId: String(opts.software),
          out: path.resolve(String(opts.out)),
          batchSize: positive(opts.batch, '--batch') || 500,
          operator: { subject: cliActor() },
          progress: bar,
        });
        bar.end();
        print(opts, r, [`Đã gửi ${summaryText(r)}`, `Sổ tính trả lời: ${r.out}`]);
      }),
    );

  excel
    .command('status <file>')
    .description('cập nhật cột «Kết quả» của sổ tính trả lời theo tình trạng hàng đợi hiện nay')
    .option('--out <file>', 'ghi ra tệp khác (mặc định: ghi đè tệp)')
    .action(async (file: string, _o: unknown, cmd: Command) =>
      cli.runVerb(cmd, async (ctx, opts) => {
        const { workbookStatus } = await service();
        const r = await workbookStatus(ctx, path.resolve(file), { out: opts.out ? path.resolve(String(opts.out)) : undefined });
        print(opts, r, [`${summaryText(r)}; ${r.changed} dòng có thay đổi`, `Đã cập nhật: ${r.out}`]);
      }),
    );
}
