/**
 * `ndxp state …`: the gateway's declarative configuration, kept under review like Kong's decK.
 *   export [--out FILE]   keys (without secrets), certificates' status, unit rules and tree
 *   diff FILE             what apply would change, and what a file cannot change (exit 1 if any)
 *   apply FILE            make the gateway match the file (nothing changes if diff has problems)
 * Exit codes: 0 in sync / applied, 1 problems or differences found by diff, 2 bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliFailure, cliActor, print, type CliHost, type VerbOptions } from '../../core/cli-output.js';
import { applyState, diffState, exportState, parseState, StateFileError, type GatewayState, type StateDiff } from './service.js';

function readState(file: string): GatewayState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliFailure(`Không đọc được tệp ${file}: ${(err as Error).message}`, 'KHONG_DOC_DUOC_TEP');
  }
  try {
    return parseState(JSON.parse(text.replace(/^\uFEFF/, '')));
  } catch (err) {
    throw new CliFailure(err instanceof StateFileError ? err.message : `Tệp ${file} không phải JSON hợp lệ`, 'TEP_TRANG_THAI_KHONG_HOP_LE');
  }
}

function diffLines(diff: StateDiff): string[] {
  if (diff.inSync) return ['Cổng kết nối khớp với tệp trạng thái.'];
  return [
    ...diff.changes.map((c) => `~ ${c.area} ${c.id} ${c.field}: ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`),
    ...diff.problems.map((p) => `! ${p.area} ${p.id}: ${p.message}`),
  ];
}

export function register(program: Command, cli: CliHost): void {
  const state = program.command('state').description('cấu hình khai báo (như decK): xuất, so sánh, áp dụng');

  state
    .command('export')
    .description('xuất trạng thái khai báo: mã kết nối (không có khóa bí mật), trạng thái chứng thư, quy tắc và cây đơn vị')
    .option('--out <file>', 'ghi ra tệp thay vì stdout')
    .action(async (_o: unknown, cmd: Command) =>
      cli.runVerb(cmd, async (ctx, opts: VerbOptions) => {
        const doc = await exportState(ctx);
        const text = JSON.stringify(doc, null, 2) + '\n';
        if (opts.out) {
          writeFileSync(String(opts.out), text);
          print(opts, { file: opts.out, keys: doc.keys.length, certificates: doc.certificates.length, rules: doc.unitRemap.rules.length, units: doc.units.length }, `Đã ghi ${opts.out}.`);
        } else process.stdout.write(text);
      }),
    );

  state
    .command('diff')
    .description('so sánh tệp trạng thái với cổng kết nối (mã thoát 1 khi có khác biệt)')
    .argument('<file>', 'tệp trạng thái')
    .action(async (file: string, _o: unknown, cmd: Command) =>
      cli.runVerb(cmd, async (ctx, opts: VerbOptions) => {
        const diff = await diffState(ctx, readState(file));
        print(opts, diff, diffLines(diff));
        if (!diff.inSync) process.exitCode = 1;
      }),
    );

  state
    .command('apply')
    .description('làm cho cổng kết nối khớp với tệp trạng thái (không đổi gì khi có khác biệt không áp dụng được)')
    .argument('<file>', 'tệp trạng thái')
    .action(async (file: string, _o: unknown, cmd: Command) =>
      cli.runVerb(cmd, async (ctx, opts: VerbOptions) => {
        const diff = await applyState(ctx, readState(file), cliActor());
        if (diff.problems.length) {
          throw new CliFailure(`Không áp dụng được tệp trạng thái; không có gì thay đổi:\n${diffLines({ ...diff, changes: [] }).join('\n')}`, 'TRANG_THAI_KHONG_AP_DUNG_DUOC', diff);
        }
        print(opts, { applied: diff.changes }, diff.changes.length ? [`Đã áp dụng ${diff.changes.length} thay đổi:`, ...diffLines(diff)] : 'Cổng kết nối đã khớp với tệp trạng thái; không có gì thay đổi.');
      }),
    );
}
