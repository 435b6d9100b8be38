/**
 * `ndxp keys …`: connection key administration from the command line, straight on the store.
 * Same service (and audit trail) as the admin API. `create` and `rotate` print the secret once;
 * nothing else ever shows it.
 */
import type { Command } from 'commander';
import type { AppContext } from '../../core/context.js';
import { CliFailure, UsageError, cliActor, confirm, print, table, vietnamTime, type VerbOptions, type CliHost, type VerbRunner } from '../../core/cli-output.js';
import {
  activateKey,
  cancelKey,
  createKey,
  importKeys,
  KeyServiceError,
  listKeys,
  rotateKey,
  showKey,
  suspendKey,
  type ImportReport,
} from './service.js';
import { vendorIds } from '../../adapters/registry.js';
import { ENCODINGS, type KeyView, type KeyWithSecret } from './types.js';

type Opts = VerbOptions;

/** This area's errors as bad usage (exit 2) or failures (exit 1); anything else goes to main's mapping. */
const translate = (err: unknown): Error | undefined => {
  if (!(err instanceof KeyServiceError)) return undefined;
  return err.code === 'THAM_SO_KHONG_HOP_LE' ? new UsageError(err.message) : new CliFailure(err.message, err.code, err.details);
};

const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '—' : String(v));

const STATUS_VI: Record<string, string> = { active: 'hoạt động', suspended: 'tạm khóa', cancelled: 'đã hủy' };
const ACTION_VI: Record<string, string> = { created: 'tạo mới', updated: 'cập nhật', cancelled: 'hủy', unchanged: 'không đổi' };
const statusText = (status: string) => `${STATUS_VI[status] ?? status} (${status})`;

function describeKey(k: KeyView): string[] {
  const rows: [string, string][] = [
    ['Mã kết nối', k.keyId],
    ['Trạng thái', `${statusText(k.status)}${k.expired ? ', đã hết hạn' : ''}${k.statusReason ? ` — ${k.statusReason}` : ''}`],
    ['Phần mềm', k.softwareId],
    ['Đơn vị', k.unitCode],
    ['Giao diện', k.vendor],
    ['Bảng mã', k.encoding],
    ['Thao tác', k.operations.join(', ')],
    ['Chứng thư (số hiệu)', dash(k.certSerial)],
    ['Chứng thư (chủ thể)', dash(k.certSubject)],
    ['Hết hạn', dash(vietnamTime(k.expiresAt))],
    ['Người phụ trách', `${dash(k.contact.name)} · ${dash(k.contact.agency)} · ${dash(k.contact.phone)} · ${dash(k.contact.email)}`],
    ['Lưu nội dung', dash(k.bodyRetention)],
    ['Hạn mức riêng', k.limits ? JSON.stringify(k.limits) : '—'],
    ['Nguồn', k.source],
    ['Khóa cũ hiệu lực đến', dash(vietnamTime(k.previousSecretValidUntil))],
    ['Tạo lúc', vietnamTime(k.createdAt)],
    ['Cập nhật', vietnamTime(k.updatedAt)],
    ['Dùng gần nhất', dash(vietnamTime(k.lastUsedAt))],
    ...(k.cancelledAt ? ([['Hủy lúc', vietnamTime(k.cancelledAt)]] as [string, string][]) : []),
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 1;
  return rows.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}${value}`);
}

function secretLines(k: KeyWithSecret): string[] {
  return [
    '',
    'Mã kết nối cấu hình cho phần mềm (CHỈ HIỂN THỊ MỘT LẦN, hãy lưu ngay; cổng chỉ giữ bản băm):',
    `  ${k.connectionKey}`,
  ];
}

/** The import's summary; the per-row report (each change, each error) only with --verbose. */
function importText(r: ImportReport, verbose: boolean): string[] {
  const lines = [
    `${r.dryRun ? 'Chạy thử (không thay đổi gì)' : r.applied ? 'Đã nhập' : 'Không nhập gì (có lỗi, chế độ --strict)'}: ${r.rows} dòng`,
    `  tạo mới: ${r.created}, cập nhật: ${r.updated}, hủy: ${r.cancelled}, không đổi: ${r.unchanged}, lỗi: ${r.errors.length}`,
  ];
  if (r.containsClearSecrets) lines.push('  LƯU Ý: tệp có khóa bí mật ở dạng rõ; cổng chỉ giữ bản băm — hãy xóa tệp an toàn sau khi nhập.');
  if (!verbose) {
    if (r.rows > 0) lines.push('  (từng dòng: thêm --verbose)');
    return lines;
  }
  for (const c of r.changes.filter((c) => c.action !== 'unchanged')) {
    lines.push(`  dòng ${c.row}: ${c.keyId} — ${ACTION_VI[c.action] ?? c.action}${c.fields ? ` (${c.fields.join(', ')})` : ''}`);
  }
  for (const e of r.errors) lines.push(`  LỖI dòng ${e.row}${e.line ? ` (dòng tệp ${e.line})` : ''}${e.keyId ? ` ${e.keyId}` : ''}${e.field ? ` [${e.field}]` : ''}: ${e.message}`);
  return lines;
}

/** A key that would be born expired is a typing mistake: refused before anything is created. */
function refusePastExpiry(value: string): void {
  const dmy = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value.trim());
  const text = dmy ? `${dmy[3]}-${dmy[2].padStart(2, '0')}-${dmy[1].padStart(2, '0')}` : value.trim();
  // A bare date means the end of that day in Vietnam time (as the service reads it).
  const at = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T23:59:59.999+07:00`) : Date.parse(text);
  if (Number.isFinite(at) && at <= Date.now()) throw new UsageError(`--expires ${value} đã qua: mã kết nối mới phải hết hạn trong tương lai`);
}

const PAGE_SIZE = 50;

function positiveInt(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} phải là số nguyên dương (nhận được "${String(value)}")`);
  return n;
}

export function register(program: Command, cli: CliHost): void {
  const run: VerbRunner = (cmd, fn) => cli.runVerb(cmd, fn, translate);
  const keys = program.command('keys').description('Quản lý mã kết nối của phần mềm tại các đơn vị');

  keys
    .command('create')
    .description('Cấp mã kết nối mới (khóa bí mật chỉ hiển thị một lần)')
    .requiredOption('--software <id>', 'mã phần mềm được cấp')
    .requiredOption('--unit <code>', 'mã đơn vị')
    .requiredOption('--vendor <adapter>', `giao diện kết nối: ${vendorIds.join(' | ')}`)
    .option('--encoding <enc>', `bảng mã văn bản cũ: ${ENCODINGS.join(' | ')}`, 'unicode')
    .option('--operations <list>', 'thao tác được phép, cách nhau bởi dấu phẩy (mặc định: mọi thao tác của giao diện)')
    .option('--cert-serial <serial>', 'chỉ nhận khi chứng thư số của phần mềm có số hiệu này')
    .option('--cert-subject <dn>', 'chỉ nhận khi chủ thể chứng thư số có các thuộc tính này (CN=…,O=…)')
    .option('--expires <date>', 'hết hạn sau ngày này (2026-12-31 hoặc 31/12/2026, giờ Việt Nam)')
    .option('--contact-name <name>', 'người phụ trách mã kết nối tại đơn vị')
    .option('--contact-agency <agency>', 'cơ quan của người phụ trách')
    .option('--contact-phone <phone>', 'điện thoại liên hệ')
    .option('--contact-email <email>', 'thư điện tử liên hệ')
    .option('--body-retention <mode>', 'lưu nội dung trao đổi trong nhật ký: off | metadata | full')
    .option('--limits <json>', 'hạn mức riêng, JSON: {"requestsPerSecond":5,"recordsPerSecond":200,"burstSeconds":2,"concurrentPerKey":4}')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        if (o.expires !== undefined) refusePastExpiry(String(o.expires));
        const created = await createKey(
          ctx,
          {
            softwareId: o.software as string,
            unitCode: o.unit as string,
            vendor: o.vendor as string,
            encoding: o.encoding as string,
            operations: o.operations as string | undefined,
            certSerial: o.certSerial as string | undefined,
            certSubject: o.certSubject as string | undefined,
            expires: o.expires as string | undefined,
            contactName: o.contactName as string | undefined,
            contactAgency: o.contactAgency as string | undefined,
            contactPhone: o.contactPhone as string | undefined,
            contactEmail: o.contactEmail as string | undefined,
            bodyRetention: o.bodyRetention as string | undefined,
            limits: o.limits as string | undefined,
          },
          cliActor(),
        );
        print(o, created, ['Đã cấp mã kết nối.', ...describeKey(created), ...secretLines(created)]);
      }),
    );

  keys
    .command('list')
    .description('Liệt kê mã kết nối')
    .option('--status <status>', 'active | suspended | cancelled')
    .option('--unit <code>', 'chỉ của đơn vị này')
    .option('--vendor <adapter>', 'chỉ của giao diện này')
    .option('--software <id>', 'chỉ của phần mềm này')
    .option('--limit <n>', `số mã mỗi trang (mặc định ${PAGE_SIZE}; với --json: mọi mã, trừ khi có --limit/--page)`)
    .option('--page <n>', 'trang thứ mấy (từ 1)')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        // Text pages by default; a --json document holds every key unless a page is asked for.
        const paged = !o.json || o.limit !== undefined || o.page !== undefined;
        const page = positiveInt(o.page, '--page', 1);
        const all = await listKeys(ctx, { status: o.status as string, unit: o.unit as string, vendor: o.vendor as string, software: o.software as string });
        const limit = paged ? positiveInt(o.limit, '--limit', PAGE_SIZE) : Math.max(1, all.length);
        const pages = Math.max(1, Math.ceil(all.length / limit));
        const list = all.slice((page - 1) * limit, page * limit);
        // Same warning window as certificates: an admin sees a key about to lapse in time to renew it.
        const warnBefore = Date.now() + ctx.config.tls.expiryWarningDays * 86_400_000;
        const rows = list.map((k) => ({
          keyId: k.keyId,
          status:
            k.status === 'active' && k.expired
              ? 'hoạt động, ĐÃ HẾT HẠN'
              : k.status === 'active' && k.expiresAt && Date.parse(k.expiresAt) < warnBefore
                ? `hoạt động, còn ${Math.ceil((Date.parse(k.expiresAt) - Date.now()) / 86_400_000)} ngày`
                : (STATUS_VI[k.status] ?? k.status),
          software: k.softwareId,
          unit: k.unitCode,
          vendor: k.vendor,
          expires: k.expiresAt,
          lastUsed: k.lastUsedAt,
        }));
        const more = page < pages ? `; trang sau: --page ${page + 1}` : '';
        print(o, list, [
          table(rows, ['keyId', 'status', 'software', 'unit', 'vendor', 'expires', 'lastUsed']),
          `Trang ${page}/${pages} (${all.length} mã kết nối${more})`,
        ]);
      }),
    );

  keys
    .command('show')
    .description('Xem một mã kết nối')
    .argument('<keyId>')
    .action(async (keyId: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const k = await showKey(ctx, keyId);
        print(o, k, describeKey(k));
      }),
    );

  keys
    .command('activate')
    .description('Kích hoạt lại mã đang tạm khóa (mã đã hủy không thể kích hoạt lại)')
    .argument('<keyId>')
    .action(async (keyId: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const k = await activateKey(ctx, keyId, cliActor());
        print(o, k, k.changed ? `Đã kích hoạt mã kết nối ${keyId}.` : `Mã kết nối ${keyId} đã đang hoạt động.`);
      }),
    );

  keys
    .command('suspend')
    .description('Tạm khóa mã kết nối (có thể kích hoạt lại)')
    .argument('<keyId>')
    .option('--reason <text>', 'lý do')
    .action(async (keyId: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const k = await suspendKey(ctx, keyId, o.reason as string | undefined, cliActor());
        print(o, k, k.changed ? `Đã tạm khóa mã kết nối ${keyId}.` : `Mã kết nối ${keyId} đã đang tạm khóa.`);
      }),
    );

  keys
    .command('cancel')
    .description('Hủy mã kết nối VĨNH VIỄN (không thể kích hoạt lại)')
    .argument('<keyId>')
    .option('--reason <text>', 'lý do')
    .option('--yes', 'xác nhận không cần hỏi (bắt buộc khi không chạy trên màn hình dòng lệnh)')
    .action(async (keyId: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        await confirm(o, `Hủy VĨNH VIỄN mã kết nối ${keyId}? Phần mềm dùng mã này sẽ bị từ chối và không thể kích hoạt lại.`);
        const k = await cancelKey(ctx, keyId, o.reason as string | undefined, cliActor());
        print(o, k, k.changed ? `Đã hủy mã kết nối ${keyId}.` : `Mã kết nối ${keyId} đã bị hủy từ trước.`);
      }),
    );

  keys
    .command('rotate')
    .description('Đổi khóa bí mật; khóa cũ còn dùng được trong thời gian ân hạn')
    .argument('<keyId>')
    .option('--grace <duration>', 'thời gian khóa cũ còn hiệu lực: 24h, 30m, 7d, 0 (mặc định: keys.defaultRotationGraceHours)')
    .action(async (keyId: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const k = await rotateKey(ctx, keyId, o.grace as string | undefined, cliActor());
        print(o, k, [
          `Đã đổi khóa bí mật của ${keyId}.`,
          k.previousSecretValidUntil ? `Khóa cũ còn hiệu lực đến ${k.previousSecretValidUntil}.` : 'Khóa cũ hết hiệu lực ngay.',
          ...secretLines(k),
        ]);
      }),
    );

  keys
    .command('import')
    .description('Nhập danh sách mã kết nối đã kích hoạt / đã hủy của Bộ Nội vụ (CSV hoặc JSON)')
    .argument('<file>')
    .option('--format <fmt>', 'csv | json (mặc định: theo đuôi tệp hoặc nội dung)')
    .option('--dry-run', 'chỉ báo cáo, không thay đổi gì')
    .option('--strict', 'không nhập gì nếu có dòng lỗi')
    .option('--verbose', 'báo cáo từng dòng (mặc định: chỉ tổng hợp)')
    .action(async (file: string, _o, cmd: Command) =>
      run(cmd, async (ctx, o) => {
        const format = o.format as string | undefined;
        if (format !== undefined && format !== 'csv' && format !== 'json') throw new UsageError('--format phải là csv hoặc json');
        const report = await importKeys(ctx, { file, format, dryRun: !!o.dryRun, strict: !!o.strict }, cliActor());
        if (report.errors.length) {
          // Exit 1 so scripts notice; the report is the one JSON document (as the error's details).
          if (!o.json) print(o, report, importText(report, !!o.verbose));
          throw new CliFailure(`Có ${report.errors.length} dòng lỗi trong tệp nhập ${file}`, 'NHAP_CO_LOI', report);
        }
        print(o, report, importText(report, !!o.verbose));
      }),
    );
}
