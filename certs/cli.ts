/**
 * `ndxp certs …`: the private CA from the command line, straight on the store (same services,
 * same audit trail as the admin API). Creating verbs print what they created; private keys are
 * written only into the --out directory the operator names, never printed.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { AppContext } from '../core/context.js';
import { CliFailure, UsageError, cliActor, print, table, type VerbOptions, type CliHost } from '../core/cli-output.js';
import { initPki } from './pki.js';
import { issueCertificate, signCsr } from './issue.js';
import { revokeCertificate, currentCrl } from './revocation.js';
import { addTrustAnchors, listTrustAnchors, readCertificatesFromFile, removeTrustAnchor } from './trust.js';
import { getCertificate, listCertificates, type CertState } from './registry.js';
import { CertError, REVOCATION_REASONS, type IssueRequest, type IssuedCertificate } from './types.js';
import { MasterKeyError } from '../core/secrets.js';
import { x509 } from './x509.js';

type Opts = VerbOptions;

type Run = (cmd: Command, fn: (ctx: AppContext, opts: Opts) => Promise<void>) => Promise<void>;

/** This area's errors as bad usage (exit 2) or failures (exit 1); anything else goes to main's mapping. */
const translate = (err: unknown) => {
  // A file that cannot be read is a failure (exit 1) on every verb, not bad usage.
  if (err instanceof CertError) return err.httpStatus === 400 && err.code !== 'KHONG_DOC_DUOC_TEP' ? new UsageError(`${err.message} (${err.code})`) : new CliFailure(err.message, err.code);
  if (err instanceof MasterKeyError) return new CliFailure(err.message, err.code);
  return undefined;
};

function intOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${name} phải là số nguyên dương (nhận được "${String(value)}")`);
  return n;
}

/** --p12 needs a password: --password, or NDXP_P12_PASSWORD (keeps it out of shell history). */
function p12Password(opts: Opts): string | undefined {
  if (!opts.p12) {
    if (opts.password !== undefined) throw new UsageError('--password chỉ dùng cùng --p12');
    return undefined;
  }
  const password = (opts.password as string | undefined) ?? process.env.NDXP_P12_PASSWORD;
  if (!password) throw new UsageError('--p12 cần mật khẩu: --password P hoặc biến môi trường NDXP_P12_PASSWORD');
  return password;
}

function p12Cipher(opts: Opts): '3des' | 'aes256' | undefined {
  const c = opts.p12Cipher as string | undefined;
  if (c === undefined) return undefined;
  if (c !== '3des' && c !== 'aes256') throw new UsageError('--p12-cipher phải là 3des hoặc aes256');
  return c;
}

function issuedJson(r: IssuedCertificate): Record<string, unknown> {
  const out: Record<string, unknown> = { serial: r.serial, subject: r.subject, notAfter: r.notAfter, certFile: r.certFile, keyFile: r.keyFile, caFile: r.caFile };
  if (r.p12File) out.p12File = r.p12File;
  return out;
}

function issuedText(r: IssuedCertificate, title: string): string[] {
  return [
    title,
    `  Số sê-ri:   ${r.serial}`,
    `  Chủ thể:    ${r.subject}`,
    `  Hết hạn:    ${r.notAfter}`,
    ...(r.certFile ? [`  Chứng thư:  ${r.certFile}`] : []),
    ...(r.keyFile ? [`  Khóa bí mật: ${r.keyFile}  (không mã hóa, quyền 0600: chuyển giao an toàn rồi xóa)`] : []),
    ...(r.caFile ? [`  Chuỗi CA:   ${r.caFile}`] : []),
    ...(r.p12File ? [`  PKCS#12:    ${r.p12File}`] : []),
  ];
}

async function issueVerb(run: Run, cmd: Command, kind: IssueRequest['kind'], extra: (opts: Opts) => Partial<IssueRequest>, title: string): Promise<void> {
  await run(cmd, async (ctx, opts) => {
    if (!opts.out) throw new UsageError('Cần --out DIR: thư mục ghi chứng thư và khóa bí mật');
    const req: IssueRequest = {
      kind,
      cn: opts.cn as string,
      days: intOption(opts.days, '--days'),
      outDir: path.resolve(opts.out as string),
      p12Password: p12Password(opts),
      p12Cipher: p12Cipher(opts),
      ...extra(opts),
    };
    const issued = await issueCertificate(ctx, req, cliActor());
    print(opts, issuedJson(issued), issuedText(issued, title));
  });
}

function addP12Options(cmd: Command): Command {
  return cmd
    .option('--p12', 'ghi thêm tệp PKCS#12 (.p12) cho Windows/.NET/Java')
    .option('--password <p>', 'mật khẩu tệp .p12 (hoặc biến môi trường NDXP_P12_PASSWORD)')
    .option('--p12-cipher <c>', '3des (mặc định, mọi phiên bản Windows/.NET/Java) | aes256 (chỉ hệ thống mới)');
}

export function register(program: Command, cli: CliHost): void {
  const run: Run = (cmd, fn) => cli.runVerb(cmd, fn, translate);
  const certs = program.command('certs').description('CA riêng của cổng: chứng thư số cho phần mềm, quản trị viên, ký số; thu hồi; CRL; neo tin cậy');

  certs
    .command('init')
    .description('tạo CA gốc, CA trung gian, chứng thư máy chủ kênh dữ liệu (không làm gì nếu đã có)')
    .option('--force', 'thay toàn bộ CA: MỌI chứng thư đã cấp sẽ mất hiệu lực')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const s = await initPki(ctx, { force: !!opts.force, actor: cliActor() });
        print(opts, s, [
          s.created ? 'Đã khởi tạo CA của cổng kết nối.' : 'CA của cổng kết nối đã có sẵn (không thay đổi).',
          `  CA gốc:         ${s.rootSubject} (sê-ri ${s.rootSerial})`,
          `  CA trung gian:  ${s.issuingSubject} (sê-ri ${s.issuingSerial}, hết hạn ${s.issuingNotAfter})`,
          `  Máy chủ dữ liệu: sê-ri ${s.serverSerial}, tên: ${s.serverNames.join(', ')}`,
          `  Chuỗi CA cho phần mềm: ${s.files.caChain}`,
          s.masterKey.source === 'file'
            ? `  Khóa chủ bảo vệ khóa bí mật: ${s.masterKey.file} — sao lưu cùng CSDL; thiếu tệp này không mở được CA. Khi chạy nhiều phiên bản cổng, đặt NDXP_MASTER_KEY giống nhau.`
            : '  Khóa chủ bảo vệ khóa bí mật: NDXP_MASTER_KEY (cấu hình).',
        ]);
      }),
    );

  addP12Options(
    certs
      .command('issue')
      .description('cấp chứng thư cho một bản cài đặt phần mềm tại một đơn vị')
      .requiredOption('--cn <id>', 'mã phần mềm (CN)')
      .requiredOption('--unit <code>', 'mã định danh đơn vị')
      .option('--days <n>', 'số ngày hiệu lực (mặc định 730)')
      .requiredOption('--out <dir>', 'thư mục ghi tệp'),
  ).action(async (_o, cmd: Command) => issueVerb(run, cmd, 'client', (o) => ({ unit: o.unit as string }), 'Đã cấp chứng thư phần mềm:'));

  addP12Options(
    certs
      .command('issue-admin')
      .description('cấp chứng thư quản trị (vai trò network-admin hoặc auditor)')
      .requiredOption('--cn <name>', 'tên quản trị viên (CN)')
      .requiredOption('--role <role>', 'network-admin | auditor')
      .option('--days <n>', 'số ngày hiệu lực (mặc định 365)')
      .requiredOption('--out <dir>', 'thư mục ghi tệp'),
  ).action(async (_o, cmd: Command) => issueVerb(run, cmd, 'admin', (o) => ({ role: o.role as IssueRequest['role'] }), 'Đã cấp chứng thư quản trị:'));

  certs
    .command('issue-signing')
    .description('cấp chứng thư ký số hồ sơ cho một đơn vị (khóa giữ tại cổng, đã mã hóa)')
    .requiredOption('--unit <code>', 'mã định danh đơn vị')
    .option('--cn <name>', 'tên hiển thị (mặc định: "ky-so <đơn vị>")')
    .option('--days <n>', 'số ngày hiệu lực (mặc định 1095)')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const unit = opts.unit as string;
        const issued = await issueCertificate(ctx, { kind: 'signing', unit, cn: (opts.cn as string | undefined) ?? `ky-so ${unit}`, days: intOption(opts.days, '--days') }, cliActor());
        print(opts, { serial: issued.serial, subject: issued.subject, notAfter: issued.notAfter, unit }, [
          `Đã cấp chứng thư ký số cho đơn vị ${unit}; hồ sơ của đơn vị từ nay được ký bằng chứng thư này.`,
          `  Số sê-ri: ${issued.serial}`,
          `  Chủ thể:  ${issued.subject}`,
          `  Hết hạn:  ${issued.notAfter}`,
        ]);
      }),
    );

  certs
    .command('sign-csr')
    .description('ký một yêu cầu cấp chứng thư (CSR) tạo tại máy khách: khóa bí mật không rời máy khách')
    .argument('<file>', 'tệp CSR (PEM hoặc DER)')
    .option('--unit <code>', 'mã định danh đơn vị (mặc định: OU trong CSR nếu là mã đơn vị hợp lệ)')
    .option('--role <role>', 'cấp chứng thư quản trị với vai trò này thay vì chứng thư phần mềm')
    .option('--days <n>', 'số ngày hiệu lực')
    .option('--out <file>', 'ghi chứng thư (kèm chuỗi CA) vào tệp này thay vì in ra')
    .action(async (file: string, _o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        let data: Buffer;
        try {
          data = readFileSync(file);
        } catch (err) {
          throw new CliFailure(`Không đọc được tệp ${file}: ${(err as Error).message}`, 'KHONG_DOC_DUOC_TEP');
        }
        const text = data.toString('latin1');
        const csrPem = text.includes('BEGIN CERTIFICATE REQUEST') || text.includes('BEGIN NEW CERTIFICATE REQUEST') ? text.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST') : x509.PemConverter.encode(data, 'CERTIFICATE REQUEST');
        let unit = opts.unit as string | undefined;
        if (!unit && !opts.role) {
          try {
            unit = new x509.Pkcs10CertificateRequest(csrPem.trim()).subjectName.getField('OU')[0];
          } catch {
            /* signCsr reports the unreadable CSR */
          }
        }
        const role = opts.role as 'network-admin' | 'auditor' | undefined;
        const signed = await signCsr(ctx, csrPem, { days: intOption(opts.days, '--days'), unit, kind: role ? 'admin' : 'client', role }, cliActor());
        let certFile: string | undefined;
        if (opts.out) {
          certFile = path.resolve(opts.out as string);
          mkdirSync(path.dirname(certFile), { recursive: true });
          writeFileSync(certFile, signed.certPem + signed.chainPem, { mode: 0o644 });
        }
        print(
          opts,
          { serial: signed.serial, subject: signed.subject, notAfter: signed.notAfter, certFile, ...(certFile ? {} : { certPem: signed.certPem, chainPem: signed.chainPem }) },
          certFile
            ? [`Đã ký CSR: sê-ri ${signed.serial}, ${signed.subject}, hết hạn ${signed.notAfter}`, `  Chứng thư (kèm chuỗi CA): ${certFile}`]
            : signed.certPem + signed.chainPem,
        );
      }),
    );

  certs
    .command('revoke')
    .description('thu hồi một chứng thư; có hiệu lực trên mọi phiên bản cổng trong vài giây')
    .argument('<serial>', 'số sê-ri (hex)')
    .requiredOption('--reason <reason>', `lý do (RFC 5280): ${Object.keys(REVOCATION_REASONS).join(' | ')}`)
    .action(async (serial: string, _o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const r = await revokeCertificate(ctx, serial, opts.reason as string, cliActor());
        print(opts, r, r.alreadyRevoked ? `Chứng thư ${r.serial} đã bị thu hồi từ trước (${r.revokedAt}, lý do ${r.reason}).` : `Đã thu hồi chứng thư ${r.serial} (${r.subject}), lý do ${r.reason}.`);
      }),
    );

  certs
    .command('list')
    .description('liệt kê chứng thư đã cấp: trạng thái, hạn dùng, số ngày còn lại')
    .option('--kind <kind>', 'client | admin | signing | server | central-client | audit | ca')
    .option('--status <state>', 'active | revoked | expired | not-yet-valid')
    .option('--unit <code>', 'chỉ chứng thư của đơn vị này')
    .option('--expiring', 'chỉ chứng thư sắp hết hạn')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const list = await listCertificates(ctx.store.db, ctx.config, {
          kind: opts.kind as string | undefined,
          status: opts.status as CertState | undefined,
          unit: opts.unit as string | undefined,
          expiring: !!opts.expiring,
        });
        const warnings = list.filter((c) => c.expiryWarning);
        const days = ctx.config.tls.expiryWarningDays;
        const rows = list.map((c) => ({
          serial: c.serial,
          kind: c.kind,
          cn: c.cn,
          unit: c.unit ?? c.role ?? '',
          status: c.state,
          notAfter: c.notAfter.slice(0, 10),
          daysLeft: c.state === 'revoked' ? '' : c.daysLeft,
          warning: c.expiryWarning ? `⚠ còn ${c.daysLeft} ngày` : '',
        }));
        const text = [table(rows, ['serial', 'kind', 'cn', 'unit', 'status', 'notAfter', 'daysLeft', 'warning'])];
        if (warnings.length) text.push('', `⚠ ${warnings.length} chứng thư hết hạn trong vòng ${days} ngày (SAP_HET_HAN).`);
        print(opts, { certificates: list, expiryWarningDays: days, warnings: warnings.map((w) => ({ serial: w.serial, cn: w.cn, kind: w.kind, notAfter: w.notAfter, daysLeft: w.daysLeft, code: 'SAP_HET_HAN' })) }, text);
      }),
    );

  certs
    .command('show')
    .description('chi tiết một chứng thư (kèm PEM)')
    .argument('<serial>', 'số sê-ri')
    .action(async (serial: string, _o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const c = await getCertificate(ctx.store.db, ctx.config, serial);
        if (!c) throw new CliFailure(`Không có chứng thư số sê-ri ${serial}`, 'CHUNG_THU_KHONG_TON_TAI');
        print(opts, c, [
          `Số sê-ri:  ${c.serial}`,
          `Loại:      ${c.kind}`,
          `Chủ thể:   ${c.subject}`,
          `Đơn vị:    ${c.unit ?? '—'}    Vai trò: ${c.role ?? '—'}`,
          `Trạng thái: ${c.state}${c.revokedAt ? ` (thu hồi ${c.revokedAt}, lý do ${c.revocationReason})` : ''}`,
          `Hiệu lực:  ${c.notBefore} → ${c.notAfter} (còn ${c.daysLeft} ngày)`,
          `SHA-256:   ${c.fingerprintSha256}`,
          `Cấp bởi:   ${c.createdBy} lúc ${c.createdAt}`,
          c.pem,
        ]);
      }),
    );

  certs
    .command('crl')
    .description('danh sách thu hồi (CRL) có chữ ký của CA trung gian, để công bố')
    .option('--out <file>', 'ghi vào tệp (PEM; DER nếu tệp có đuôi .der/.crl hoặc có --der)')
    .option('--der', 'ghi dạng DER')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const crl = await currentCrl(ctx);
        const out = opts.out as string | undefined;
        const der = !!opts.der || (out !== undefined && /\.(der|crl)$/i.test(out));
        if (out) {
          mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
          writeFileSync(out, der ? crl.der : crl.pem, { mode: 0o644 });
        }
        const info = { file: out ? path.resolve(out) : undefined, format: der ? 'der' : 'pem', thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, revokedCount: crl.revokedCount };
        if (out) print(opts, info, `Đã ghi CRL (${info.format}, ${crl.revokedCount} chứng thư bị thu hồi, cập nhật kế tiếp ${crl.nextUpdate}) vào ${info.file}`);
        else print(opts, { ...info, pem: crl.pem }, crl.pem.trimEnd());
      }),
    );

  const trust = certs.command('trust').description('neo tin cậy ngoài CA của cổng (CA của Bộ, của nền tảng quốc gia…)');
  trust
    .command('add')
    .description('thêm chứng thư CA (PEM, có thể nhiều, hoặc DER) làm neo tin cậy')
    .argument('<file>', 'tệp chứng thư CA')
    .action(async (file: string, _o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const r = await addTrustAnchors(ctx, readCertificatesFromFile(file), cliActor());
        const strip = (a: { fingerprintSha256: string; subject: string; notAfter: string; selfSigned: boolean }) => ({ fingerprintSha256: a.fingerprintSha256, subject: a.subject, notAfter: a.notAfter, selfSigned: a.selfSigned });
        print(opts, { added: r.added.map(strip), alreadyPresent: r.alreadyPresent.map(strip) }, [
          ...r.added.map((a) => `Đã thêm neo tin cậy: ${a.subject} (SHA-256 ${a.fingerprintSha256}, hết hạn ${a.notAfter})${a.selfSigned ? '' : ' ⚠ không tự ký: cần thêm cả CA gốc của nó'}`),
          ...r.alreadyPresent.map((a) => `Đã có sẵn: ${a.subject}`),
        ]);
      }),
    );
  trust
    .command('list')
    .description('liệt kê neo tin cậy')
    .action(async (_o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const anchors = await listTrustAnchors(ctx.store.db);
        const rows = anchors.map(({ pem: _pem, ...a }) => a);
        print(opts, { trustAnchors: rows }, table(rows.map((a) => ({ subject: a.subject, notAfter: a.notAfter.slice(0, 10), fingerprintSha256: a.fingerprintSha256.slice(0, 16) + '…', addedBy: a.addedBy })), ['subject', 'notAfter', 'fingerprintSha256', 'addedBy']));
      }),
    );
  trust
    .command('remove')
    .description('gỡ một neo tin cậy')
    .argument('<fingerprint>', 'dấu vân tay SHA-256 (hex)')
    .action(async (fp: string, _o, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const a = await removeTrustAnchor(ctx, fp, cliActor());
        print(opts, { removed: { fingerprintSha256: a.fingerprintSha256, subject: a.subject } }, `Đã gỡ neo tin cậy ${a.subject}`);
      }),
    );
}
