/**
 * `ndxp reconcile --unit X [--resend] [--verbose] [--json]` / `ndxp reconcile --all`: what the
 * central database holds for a unit (and its descendants) against what this gateway delivered
 * or holds; see service.ts for the classes.
 */
import type { Command } from 'commander';
import { UsageError, cliActor, print, table, type CliHost } from '../../core/cli-output.js';
import { maskPersonalId } from '../delivery/status.js';
import { translate } from '../doi-soat/cli.js';
import { CLASSES, reconcileAll, reconcileUnit, type ReconcileReport } from './service.js';

const CLASS_VI: Record<string, string> = {
  complete: 'đầy đủ, đúng phiên bản mới nhất',
  missingAtCentre: 'thiếu tại CSDL quốc gia',
  centreBehind: 'CSDL quốc gia giữ phiên bản cũ hơn',
  differs: 'cùng phiên bản, nội dung khác',
  unknownToGateway: 'có tại CSDL quốc gia, không gửi qua cổng này',
  centreAhead: 'CSDL quốc gia có phiên bản mới hơn (nơi khác gửi)',
  underOldCodes: 'còn mang mã đơn vị cũ (cần phần mềm hiện hành gửi lại theo mã mới)',
};

const pct = (share: number) => `${(Math.floor(share * 1000) / 10).toFixed(1)}%`;

function textOf(r: ReconcileReport): string[] {
  const lines = [`Đơn vị ${r.unit}: ${r.total} hồ sơ; đầy đủ và mới nhất ${r.complete} (${pct(r.share)})`, ...CLASSES.filter((c) => c !== 'complete').map((c) => `  ${CLASS_VI[c]}: ${r[c]}`), `  đã đưa lại vào hàng đợi: ${r.resent}`];
  if (r.lists) {
    for (const c of CLASSES.filter((x) => x !== 'complete')) {
      if (!r.lists[c].length) continue;
      lines.push(`${CLASS_VI[c]}:`, table(r.lists[c].map((e) => ({ id: maskPersonalId(e.soDinhDanh), unit: e.maDonViMoi ? `${e.maDonVi} → ${e.maDonViMoi}` : e.maDonVi, gateway: e.gateway?.phienBan ?? '', trackingId: e.gateway?.trackingId ?? '', centre: e.centre?.phienBan ?? '' })), ['id', 'unit', 'gateway', 'trackingId', 'centre']));
    }
  }
  return lines;
}

export function register(program: Command, cli: CliHost): void {
  program
    .command('reconcile')
    .description('đối chiếu hồ sơ tại CSDL quốc gia với hồ sơ đã gửi qua cổng kết nối')
    .option('--unit <code>', 'đơn vị (kể cả đơn vị trực thuộc)')
    .option('--all', 'mỗi đơn vị một dòng: tỷ lệ hồ sơ đầy đủ và mới nhất')
    .option('--resend', 'đưa lại vào hàng đợi hồ sơ còn thiếu hoặc cũ hơn tại CSDL quốc gia')
    .option('--verbose', 'kèm danh sách từng loại')
    .action(async (_o: unknown, cmd: Command) =>
      cli.runVerb(
        cmd,
        async (ctx, opts) => {
          if (Boolean(opts.unit) === Boolean(opts.all)) throw new UsageError('Cần đúng một trong hai: --unit <mã> hoặc --all');
          if (opts.all) {
            const lines = await reconcileAll(ctx, { resend: Boolean(opts.resend), actor: cliActor() });
            print(
              opts,
              { units: lines },
              table(
                lines.map((l) => ({ unit: l.unit, total: l.total ?? '', complete: l.complete ?? '', share: l.share === undefined ? '' : pct(l.share), error: l.error ? `${l.error.message} (${l.error.code})` : '' })),
                ['unit', 'total', 'complete', 'share', 'error'],
              ),
            );
            return;
          }
          const r = await reconcileUnit(ctx, String(opts.unit), { resend: Boolean(opts.resend), verbose: Boolean(opts.verbose), actor: cliActor() });
          print(opts, r, textOf(r));
        },
        translate,
      ),
    );
}
