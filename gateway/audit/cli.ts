/**
 * `ndxp audit …`: verify the trail, export and verify bundles, search, summaries, retention.
 * `verify-bundle` deliberately opens no configuration and no store: it is what an auditor runs
 * on another machine with nothing but the file (and, ideally, their own copy of the CA).
 */
import { createWriteStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { AppContext } from '../../core/context.js';
import { CliFailure, UsageError, cliActor, print, table, type CommonOptions, type CliHost } from '../../core/cli-output.js';
import type { AuditSigningIdentity } from './chain.js';
import { verifyBundle, type BundleVerification } from './bundle.js';
import { exportBundle, gatewayCaPems, verifyChain, type ChainVerification } from './verify.js';
import type { AuditTrail } from './trail.js';
import { listArchiveFiles, runRetention } from './archive.js';
import { auditSummary, csvHeader, csvRow, jsonlRow, searchAll, searchAudit, type AuditFilters } from './search.js';
import type { ChainProblem } from './walk.js';
import { parseTimeArg } from './time.js';

type Opts = CommonOptions & Record<string, string | boolean | undefined>;

/** CLI flavour of parseTimeArg: a bad time is a usage error (exit 2). */
export function parseTime(value: string | undefined, edge: 'from' | 'to', flag: string): number | undefined {
  try {
    return parseTimeArg(value, edge, flag);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function optionalSigner(ctx: AppContext): Promise<AuditSigningIdentity | undefined> {
  try {
    const { auditSigningIdentity } = await import('../../certs/material.js');
    return await auditSigningIdentity(ctx);
  } catch (err) {
    process.stderr.write(`Cảnh báo (CHUA_CO_CHUNG_THU_KIEM_TOAN): không lấy được chứng thư ký nhật ký, gói/tệp không được ký: ${(err as Error).message}\n`);
    return undefined;
  }
}

function readPems(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`Không đọc được ${file}: ${(err as Error).message}`);
  }
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (!pems.length) throw new UsageError(`${file} không chứa chứng thư PEM nào`);
  return pems;
}

/** Before an export: sign a checkpoint over the current head so no exported entry is left unsigned. */
async function checkpointBeforeExport(ctx: AppContext): Promise<void> {
  const trail = ctx.audit as Partial<AuditTrail>;
  await trail.flush?.();
  await trail.checkpoint?.().catch(() => undefined);
}

function problemLine(p: ChainProblem): string {
  return `${p.message} [${p.code}, vị trí ${p.seq}]`;
}

const archiveFiles = (ctx: AppContext): string[] => listArchiveFiles(ctx.config);

function describeVerification(v: ChainVerification): string[] {
  const lines = [
    v.ok ? 'Nhật ký kiểm toán toàn vẹn.' : `Nhật ký kiểm toán KHÔNG toàn vẹn: ${problemLine(v.problem!)}`,
    `Bản ghi đã kiểm: ${v.entries}${v.firstSeq !== undefined ? ` (vị trí ${v.firstSeq}–${v.lastSeq})` : ''}; đầu chuỗi: ${v.headSeq}`,
    `Điểm kiểm tra đã ký hợp lệ: ${v.checkpointsVerified}${v.lastCheckpointSeq !== undefined ? `, gần nhất tại vị trí ${v.lastCheckpointSeq}` : ''}; bản ghi sau điểm kiểm tra cuối: ${v.entriesAfterLastCheckpoint}`,
  ];
  for (const a of v.archives) lines.push(`Tệp lưu trữ ${path.basename(a.file)}: ${a.ok ? 'hợp lệ' : 'KHÔNG hợp lệ'} (${a.entries} bản ghi)`);
  if (v.archivedNotChecked) lines.push(`Chưa kiểm các bản ghi đã lưu trữ ${v.archivedNotChecked.fromSeq}–${v.archivedNotChecked.toSeq} (không tìm thấy tệp lưu trữ)`);
  for (const s of v.signers) lines.push(`Người ký: ${s.subject} (SHA-256 ${s.fingerprint}) ${s.trusted ? 'tin cậy' : 'KHÔNG tin cậy'}, ${s.checkpoints} điểm kiểm tra`);
  return lines;
}

function describeBundle(v: BundleVerification): string[] {
  const lines = [
    v.ok ? `Gói ${path.basename(v.file)} hợp lệ.` : `Gói ${path.basename(v.file)} KHÔNG hợp lệ: ${problemLine(v.problem!)}`,
    `Loại: ${v.purpose ?? '?'}; vị trí ${v.firstSeq ?? '?'}–${v.lastSeq ?? '?'}; bản ghi: ${v.entries}; điểm kiểm tra hợp lệ: ${v.checkpointsVerified}; gói có chữ ký: ${v.bundleSigned ? 'có' : 'không'}`,
  ];
  if (v.entriesAfterLastCheckpoint > 0) lines.push(`Lưu ý: ${v.entriesAfterLastCheckpoint} bản ghi cuối chỉ được bảo đảm bằng chữ ký của gói, chưa có điểm kiểm tra`);
  for (const s of v.signers) lines.push(`Người ký: ${s.subject} (SHA-256 ${s.fingerprint}) ${s.trusted ? 'tin cậy' : 'KHÔNG tin cậy'}`);
  for (const fp of v.caFingerprints) lines.push(`CA dùng để kiểm (đối chiếu qua kênh khác): SHA-256 ${fp}`);
  return lines;
}

function filtersFrom(o: Opts): AuditFilters {
  const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  return {
    from: parseTime(s('from'), 'from', '--from'),
    to: parseTime(s('to'), 'to', '--to'),
    kind: s('kind'),
    unit: s('unit'),
    key: s('key'),
    cert: s('cert'),
    software: s('software'),
    front: s('front'),
    operation: s('operation'),
    outcome: s('outcome'),
    code: s('code'),
    personalId: s('personalId'),
    trackingId: s('trackingId'),
    requestId: s('requestId'),
    actor: s('actor'),
  };
}

async function writeOut(out: string | undefined, produce: (write: (chunk: string) => Promise<void>) => Promise<void>): Promise<void> {
  const stream = out ? createWriteStream(out, { flags: 'w' }) : process.stdout;
  const write = async (chunk: string) => {
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  await produce(write);
  if (out) {
    (stream as ReturnType<typeof createWriteStream>).end();
    await once(stream, 'finish');
  }
}

export function register(program: Command, cli: CliHost): void {
  const audit = program.command('audit').description('nhật ký kiểm toán: kiểm tra toàn vẹn, xuất, tìm kiếm, thống kê, lưu trữ');

  audit
    .command('verify')
    .description('kiểm tra chuỗi băm và các điểm kiểm tra đã ký; mã thoát 0 chỉ khi toàn bộ phạm vi hợp lệ')
    .option('--from <time>', 'từ thời điểm (YYYY-MM-DD, ISO 8601 hoặc mili giây)')
    .option('--to <time>', 'đến thời điểm')
    .option('--archive <file...>', 'tệp lưu trữ cần kiểm cùng (mặc định: mọi tệp trong <dataDir>/audit-archive khi không giới hạn thời gian)')
    .option('--no-archives', 'không kiểm các tệp lưu trữ')
    .option('--ca <file>', 'thêm CA tin cậy cho chữ ký điểm kiểm tra (ví dụ CA cũ trước khi khởi tạo lại PKI)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts & { archive?: string[]; archives?: boolean };
      const from = parseTime(o.from as string | undefined, 'from', '--from');
      const to = parseTime(o.to as string | undefined, 'to', '--to');
      const extraCas = typeof o.ca === 'string' ? readPems(o.ca) : [];
      const v = await cli.withContext(o, async (ctx) => {
        const ranged = from !== undefined || to !== undefined;
        const archives = o.archive ?? (o.archives === false || ranged ? undefined : archiveFiles(ctx));
        const trust = extraCas.length ? { caPems: [...(await gatewayCaPems(ctx.store)), ...extraCas] } : undefined;
        return verifyChain(ctx.store, { from, to, archives: archives?.length ? archives : undefined, trust });
      });
      if (!v.ok) throw new CliFailure(describeVerification(v).join('\n'), v.problem!.code, v);
      print(o, v, describeVerification(v));
    });

  audit
    .command('export')
    .description('xuất gói nhật ký tự kiểm chứng (bản ghi, điểm kiểm tra, chứng thư) để kiểm toán ở máy khác')
    .requiredOption('--from <time>', 'từ thời điểm')
    .requiredOption('--to <time>', 'đến thời điểm')
    .requiredOption('--out <file>', 'tệp gói (.jsonl; .jsonl.gz để nén)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const from = parseTime(o.from as string, 'from', '--from');
      const to = parseTime(o.to as string, 'to', '--to');
      const out = path.resolve(String(o.out));
      const written = await cli.withContext(o, async (ctx) => {
        const signer = await optionalSigner(ctx);
        if (signer) await checkpointBeforeExport(ctx);
        try {
          const w = await exportBundle(ctx.store, { from, to, out, signer, node: ctx.nodeName });
          ctx.audit.record({ kind: 'admin', actor: cliActor(), operation: 'audit.export', target: path.basename(out), outcome: 'ok', details: { from, to, firstSeq: w.firstSeq, lastSeq: w.lastSeq, entries: w.entries } });
          return w;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code === 'EEXIST' ? 'TEP_DA_TON_TAI' : 'LOI_HE_THONG';
          ctx.audit.record({ kind: 'admin', actor: cliActor(), operation: 'audit.export', target: path.basename(out), outcome: 'failed', code });
          if (code === 'TEP_DA_TON_TAI') throw new CliFailure(`Tệp ${out} đã tồn tại; chọn tên khác`, code);
          throw err;
        }
      });
      print(o, written, [
        `Đã xuất ${written.entries} bản ghi (vị trí ${written.firstSeq}–${written.lastSeq}), ${written.checkpoints} điểm kiểm tra vào ${written.file}`,
        `SHA-256 của tệp: ${written.sha256}; gói ${written.signed ? 'có' : 'KHÔNG có'} chữ ký`,
      ]);
    });

  audit
    .command('verify-bundle <file>')
    .description('kiểm tra một gói xuất hoặc tệp lưu trữ, không cần gì khác từ cổng kết nối')
    .option('--ca <file>', 'bản CA của cổng mà kiểm toán viên tin cậy (PEM); mặc định: CA kèm trong gói')
    .option('--signer-fingerprint <sha256...>', 'chấp nhận chứng thư ký có dấu vân tay SHA-256 này')
    .action(async (file: string, _o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts & { signerFingerprint?: string[] };
      const caPems = typeof o.ca === 'string' ? readPems(o.ca) : undefined;
      const v = await verifyBundle(path.resolve(file), { caPems, signerFingerprints: o.signerFingerprint });
      if (!v.ok) throw new CliFailure(describeBundle(v).join('\n'), v.problem!.code, v);
      print(o, v, describeBundle(v));
    });

  audit
    .command('search')
    .description('tìm bản ghi nhật ký; --format csv|jsonl xuất toàn bộ kết quả')
    .option('--from <time>')
    .option('--to <time>')
    .option('--kind <kind>', 'exchange | refusal | delivery | admin')
    .option('--unit <code>')
    .option('--key <keyId>')
    .option('--cert <serialOrSubject>')
    .option('--software <id>')
    .option('--front <front>')
    .option('--operation <op>')
    .option('--outcome <outcome>')
    .option('--code <code>')
    .option('--personal-id <id>', 'số định danh cá nhân đầy đủ (so khớp chính xác)')
    .option('--tracking-id <id>')
    .option('--request-id <id>')
    .option('--actor <actor>')
    .option('--limit <n>', 'số bản ghi mỗi trang (mặc định 50)')
    .option('--cursor <seq>', 'tiếp tục sau vị trí này')
    .option('--order <asc|desc>', 'thứ tự', 'asc')
    .option('--format <format>', 'json | jsonl | csv')
    .option('--out <file>', 'ghi kết quả vào tệp')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const filters = filtersFrom(o);
      const format = (o.format as string | undefined) ?? (o.json ? 'json' : 'text');
      if (!['json', 'jsonl', 'csv', 'text'].includes(format)) throw new UsageError('--format phải là json, jsonl hoặc csv');
      const limit = o.limit !== undefined ? Number(o.limit) : undefined;
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit phải là số nguyên dương');
      const cursor = o.cursor !== undefined ? Number(o.cursor) : undefined;
      if (cursor !== undefined && !Number.isInteger(cursor)) throw new UsageError('--cursor phải là một vị trí (số nguyên)');
      const order = o.order === 'desc' ? 'desc' : 'asc';
      await cli.withContext(o, async (ctx) => {
        ctx.audit.record({ kind: 'admin', actor: cliActor(), operation: 'audit.search', outcome: 'ok', details: { filters: { ...filters, personalId: filters.personalId ? '(đã nhập)' : undefined }, format } });
        if (format === 'csv' || format === 'jsonl') {
          await writeOut(o.out as string | undefined, async (write) => {
            if (format === 'csv') await write('\ufeff' + csvHeader());
            for await (const item of searchAll(ctx.store, ctx.config, filters, limit ?? Infinity)) await write(format === 'csv' ? csvRow(item) : jsonlRow(item));
          });
          return;
        }
        const page = await searchAudit(ctx.store, ctx.config, filters, { limit: limit ?? 50, cursor, order });
        if (format === 'json') {
          if (o.out) await writeOut(o.out as string, (w) => w(JSON.stringify(page, null, 2) + '\n'));
          else print({ json: true }, page, '');
          return;
        }
        print(o, page, [
          table(
            page.items.map((i) => ({ seq: i.seq, at: i.at, kind: i.kind, unit: i.unitCode, key: i.keyId, op: i.operation, outcome: i.outcome, code: i.code, ids: i.personalIds.join(' ') })),
            ['seq', 'at', 'kind', 'unit', 'key', 'op', 'outcome', 'code', 'ids'],
          ),
          page.nextCursor !== null ? `Còn nữa: --cursor ${page.nextCursor}` : '',
        ]);
      });
    });

  audit
    .command('summary')
    .description('thống kê: trao đổi theo đơn vị/mã kết nối/ngày, từ chối theo lý do, độ trễ và tồn đọng gửi')
    .option('--from <time>')
    .option('--to <time>')
    .option('--bucket-minutes <n>', 'độ rộng khoảng thời gian cho độ trễ/tồn đọng (mặc định 60)')
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const bucket = o.bucketMinutes !== undefined ? Number(o.bucketMinutes) : 60;
      if (!Number.isFinite(bucket) || bucket < 1) throw new UsageError('--bucket-minutes phải là số dương');
      const s = await cli.withContext(o, (ctx) =>
        auditSummary(ctx.store, { from: parseTime(o.from as string | undefined, 'from', '--from'), to: parseTime(o.to as string | undefined, 'to', '--to'), bucketMs: bucket * 60_000 }),
      );
      print(o, s, [
        'Trao đổi theo đơn vị và ngày:',
        table(s.exchangesPerUnitDay as unknown as Record<string, unknown>[], ['day', 'unitCode', 'exchanges', 'ok', 'refused']),
        '',
        'Trao đổi theo mã kết nối và ngày:',
        table(s.exchangesPerKeyDay as unknown as Record<string, unknown>[], ['day', 'keyId', 'exchanges']),
        '',
        'Từ chối theo lý do:',
        table(s.refusalsByCode as unknown as Record<string, unknown>[], ['code', 'count']),
        '',
        'Gửi đến CSDL quốc gia:',
        table(s.delivery as unknown as Record<string, unknown>[], ['bucketStart', 'attempts', 'delivered', 'failed', 'avgLatencyMs', 'maxLatencyMs']),
        '',
        'Tồn đọng:',
        table(s.backlog as unknown as Record<string, unknown>[], ['bucketStart', 'queued', 'settled', 'backlog']),
      ]);
    });

  audit
    .command('archive')
    .description(`chuyển bản ghi cũ hơn thời hạn lưu (audit.retentionDays) sang tệp lưu trữ ngay bây giờ`)
    .action(async (_o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as Opts;
      const r = await cli.withContext(o, async (ctx) => {
        const signer = await optionalSigner(ctx);
        const res = await runRetention({ store: ctx.store, config: ctx.config, log: ctx.log, nodeName: ctx.nodeName, signer });
        ctx.audit.record({ kind: 'admin', actor: cliActor(), operation: 'audit.archive', outcome: 'ok', details: { files: res.files.map((f) => path.basename(f.file)), note: res.note } });
        return res;
      });
      print(
        o,
        r,
        r.files.length
          ? r.files.map((f) => `Đã lưu trữ vị trí ${f.firstSeq}–${f.lastSeq} (${f.entries} bản ghi) vào ${f.file}`)
          : [`Không có bản ghi nào cần lưu trữ (${r.note ?? ''})`],
      );
    });
}
