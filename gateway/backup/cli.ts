/**
 * `ndxp backup …`: a whole gateway in one encrypted file, and back.
 *   create --out FILE [--passphrase-file F]   consistent while the gateway runs
 *   restore FILE [--passphrase-file F]        into an empty store (fresh data dir or schema), gateway stopped
 * The passphrase comes from --passphrase-file or NDXP_BACKUP_PASSPHRASE, never from the command
 * line itself (it would stay in shell histories and process listings). Both actions are recorded
 * in the audit trail.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliFailure, cliActor, cliConfig, print, type CliHost, type VerbOptions } from '../../core/cli-output.js';
import { BackupError, openBackup, sealBackup } from './crypto.js';
import { createBackup, restoreBackup, summarize } from './service.js';

function passphrase(opts: VerbOptions): string {
  const file = opts.passphraseFile as string | undefined;
  let value: string | undefined;
  if (file) {
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new CliFailure(`Không đọc được tệp mật khẩu ${file}: ${(err as Error).message}`, 'KHONG_DOC_DUOC_TEP');
    }
  } else value = process.env.NDXP_BACKUP_PASSPHRASE;
  if (!value) throw new CliFailure('Cần mật khẩu bản sao lưu: --passphrase-file TỆP hoặc biến môi trường NDXP_BACKUP_PASSPHRASE', 'THIEU_MAT_KHAU_SAO_LUU');
  return value;
}

const translate = (err: unknown): Error | undefined => (err instanceof BackupError ? new CliFailure(err.message, err.code) : undefined);

export function register(program: Command, cli: CliHost): void {
  const backup = program.command('backup').description('sao lưu và khôi phục toàn bộ cổng kết nối (tệp mã hóa bằng mật khẩu)');

  backup
    .command('create')
    .description('tạo bản sao lưu: khóa, chứng thư, neo tin cậy, quy tắc và cây đơn vị, cài đặt, outbox, nhật ký kiểm toán, khóa chủ')
    .requiredOption('--out <file>', 'tệp sao lưu sẽ tạo (không ghi đè tệp đã có)')
    .option('--passphrase-file <file>', 'tệp chứa mật khẩu (mặc định: biến môi trường NDXP_BACKUP_PASSPHRASE)')
    .action(async (_o: unknown, cmd: Command) =>
      cli.runVerb(
        cmd,
        async (ctx, opts) => {
          const secret = passphrase(opts);
          await ctx.audit.recordDurable({ kind: 'admin', front: 'admin', operation: 'backup.create', actor: cliActor(), target: String(opts.out), outcome: 'ok' });
          const payload = await createBackup(ctx);
          const sealed = sealBackup(payload, secret);
          try {
            writeFileSync(String(opts.out), sealed, { mode: 0o600, flag: 'wx' });
          } catch (err) {
            const e = err as NodeJS.ErrnoException;
            throw new CliFailure(e.code === 'EEXIST' ? `Tệp ${opts.out} đã có; chọn tên khác` : `Không ghi được ${opts.out}: ${e.message}`, e.code === 'EEXIST' ? 'TEP_DA_TON_TAI' : 'KHONG_GHI_DUOC_TEP');
          }
          const summary = summarize(payload);
          print(opts, { file: opts.out, bytes: sealed.length, ...summary }, [
            `Đã tạo bản sao lưu ${opts.out} (${sealed.length} byte, mã hóa AES-256-GCM).`,
            `Khóa chủ: ${summary.masterKey === 'file' ? 'nằm trong bản sao lưu' : 'lấy từ NDXP_MASTER_KEY, KHÔNG nằm trong bản sao lưu: cất giữ riêng'}`,
            ...Object.entries(summary.rows).map(([t, n]) => `  ${t}: ${n}`),
          ]);
        },
        translate,
      ),
    );

  backup
    .command('restore')
    .description('khôi phục bản sao lưu vào kho dữ liệu trống (thư mục dữ liệu hoặc schema mới), khi gateway đã dừng')
    .argument('<file>', 'tệp sao lưu')
    .option('--passphrase-file <file>', 'tệp chứa mật khẩu (mặc định: biến môi trường NDXP_BACKUP_PASSPHRASE)')
    .action(async (file: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals() as VerbOptions;
      try {
        const secret = passphrase(opts);
        let sealed: Buffer;
        try {
          sealed = readFileSync(file);
        } catch (err) {
          throw new CliFailure(`Không đọc được tệp sao lưu ${file}: ${(err as Error).message}`, 'KHONG_DOC_DUOC_TEP');
        }
        // The store is written before any context opens it: the trail must start from the restored head.
        const report = await restoreBackup(cliConfig(opts), openBackup(sealed, secret));
        await cli.withContext(opts, (ctx) =>
          ctx.audit.recordDurable({ kind: 'admin', front: 'admin', operation: 'backup.restore', actor: cliActor(), target: file, outcome: 'ok', details: { createdAt: report.restoredFrom.createdAt } }),
        );
        print(opts, report, [
          `Đã khôi phục bản sao lưu tạo lúc ${report.restoredFrom.createdAt} (${report.restoredFrom.backend}).`,
          ...Object.entries(report.rows).map(([t, n]) => `  ${t}: ${n}`),
          'Khởi động gateway: ndxp start; kiểm tra nhật ký kiểm toán: ndxp audit verify',
        ]);
      } catch (err) {
        throw translate(err) ?? err;
      }
    });
}
