/**
 * `ndxp <area> <verb>`: the one command-line program for every operator task. Each area
 * registers its verbs from its own module; this file assembles them, gives every verb its
 * example and the common options, and turns every failure into one Vietnamese line with a
 * machine code (or one JSON document with --json) and an exit code — never a stack trace:
 *   0 ok · 1 failure (a refusal, a missing input file, an output path that cannot be written, a
 *   port in use, anything unexpected) · 2 bad usage (missing argument, unknown option, a
 *   destructive verb without confirmation).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../config/config.js';
import { GatewayError } from '../../core/errors.js';
import { CliFailure, UsageError } from '../../core/cli-output.js';
import { EXAMPLES } from './examples.js';
import { registerStart } from './start.js';
import { cliHost as cli } from './verbs.js';
import { register as registerCerts } from '../../certs/cli.js';
import { register as registerKeys } from '../keys/cli.js';
import { register as registerUnits } from '../units/cli.js';
import { register as registerQueue } from '../delivery/cli.js';
import { register as registerAudit } from '../audit/cli.js';
import { register as registerDoiSoat } from '../doi-soat/cli.js';
import { register as registerReconcile } from '../reconcile/cli.js';
import { register as registerExcel } from '../excel/cli.js';
import { register as registerBackup } from '../backup/cli.js';
import { register as registerState } from '../state/cli.js';
import { register as registerCentralSim } from '../../central-sim/cli.js';
import { register as registerRateLimit, registerLockoutCommands } from '../ratelimit/cli.js';

/** The package version, read from the package.json above this file (source or dist/). */
function packageVersion(): string {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ndxp-gateway' && pkg.version) return pkg.version;
    } catch {
      /* not here: look one level up */
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

/** Commander's own messages are English: they are swallowed and translated by usageMessage(). */
const SILENT_ERRORS = { outputError: () => undefined };

export function buildProgram(): Command {
  const program = new Command('ndxp')
    .description('ndxp-gateway: cổng kết nối phần mềm quản lý cán bộ với CSDL quốc gia')
    .version(packageVersion(), '-V, --version', 'in phiên bản của ndxp')
    .helpOption('-h, --help', 'hiển thị trợ giúp')
    .helpCommand('help [lệnh]', 'hiển thị trợ giúp của một lệnh')
    .option('--config <file>', 'tệp cấu hình JSON (mặc định: $NDXP_CONFIG)')
    .configureOutput(SILENT_ERRORS)
    .exitOverride();
  registerStart(program);
  registerCerts(program, cli);
  registerKeys(program, cli);
  registerUnits(program, cli);
  registerQueue(program, cli);
  registerAudit(program, cli);
  registerDoiSoat(program, cli);
  registerReconcile(program, cli);
  registerExcel(program, cli);
  registerBackup(program, cli);
  registerState(program, cli);
  registerCentralSim(program);
  registerRateLimit(program, cli);
  const keys = program.commands.find((c) => c.name() === 'keys');
  if (keys) registerLockoutCommands(keys, cli);
  // Every verb inherits --json and --config so they can be given after the verb, and shows an example.
  const addCommon = (cmd: Command, prefix: string) => {
    for (const sub of cmd.commands) {
      const name = `${prefix}${sub.name()}`;
      sub.helpOption('-h, --help', 'hiển thị trợ giúp');
      if (sub.commands.length === 0) {
        if (!sub.options.some((o) => o.long === '--json')) sub.option('--json', 'in một tài liệu JSON ra stdout');
        if (!sub.options.some((o) => o.long === '--config')) sub.option('--config <file>', 'tệp cấu hình JSON');
        if (EXAMPLES[name]) sub.addHelpText('after', `\nVí dụ:\n  ${EXAMPLES[name]}`);
      } else sub.helpCommand(false);
      sub.configureOutput(SILENT_ERRORS);
      sub.exitOverride();
      addCommon(sub, `${name} `);
    }
  };
  addCommon(program, '');
  return program;
}

export interface CliResult {
  code: number;
  error?: unknown;
}

/**
 * Runs the program on argv and reports a failure the way an operator reads it: one line on
 * stderr `Lỗi (CODE): message`, plus, with --json, one JSON document on stdout. Returns the exit
 * code (the in-process test runner uses this too).
 */
export async function run(argv: string[]): Promise<CliResult> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return { code: 0 };
  } catch (err) {
    return { code: report(err, argv.includes('--json')), error: err };
  }
}

export async function main(argv: string[]): Promise<void> {
  const { code } = await run(argv);
  // The exit code only: bin/ndxp.js, the process's own entry, ends a failed process that a
  // listener or timer would keep alive (tests run main() in-process and must not be exited).
  process.exitCode = code;
}

interface Failure {
  code: string;
  message: string;
  exit: 1 | 2;
  details?: unknown;
}

function report(err: unknown, wantsJson: boolean): number {
  if (err instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)) return 0;
  const f = describeFailure(err);
  if (wantsJson) process.stdout.write(JSON.stringify({ error: { code: f.code, message: f.message, details: f.details } }, null, 2) + '\n');
  process.stderr.write(`Lỗi (${f.code}): ${f.message}\n`);
  if (f.exit === 2 && err instanceof CommanderError) process.stderr.write('Xem cách dùng: ndxp <lệnh> --help\n');
  return f.exit;
}

function describeFailure(err: unknown): Failure {
  if (err instanceof CommanderError) return { code: 'SAI_CU_PHAP', message: usageMessage(err), exit: 2 };
  if (err instanceof UsageError) return { code: (err as UsageError & { code?: string }).code ?? 'SAI_CU_PHAP', message: err.message, exit: 2 };
  if (err instanceof ConfigError) return { code: 'CAU_HINH_KHONG_HOP_LE', message: err.message, exit: 1 };
  if (err instanceof CliFailure) return { code: err.code, message: err.message, exit: 1, details: err.details };
  if (err instanceof GatewayError) return { code: err.code, message: err.message, exit: 1 };
  const sys = systemFailure(err as NodeJS.ErrnoException);
  if (sys) return sys;
  return { code: 'LOI_HE_THONG', message: `Lỗi hệ thống: ${(err as Error)?.message ?? String(err)}`, exit: 1 };
}

/** Operating-system errors an operator can act on: files that are not there or cannot be written, ports in use. */
function systemFailure(e: NodeJS.ErrnoException & { address?: string; port?: number; dest?: string }): Failure | undefined {
  const where = e?.path ?? e?.dest ?? '';
  switch (e?.code) {
    case 'ENOENT':
      return { code: 'KHONG_TIM_THAY_TEP', message: `Không tìm thấy tệp hoặc thư mục ${where}`.trim(), exit: 1 };
    case 'EACCES':
    case 'EPERM':
      return { code: 'KHONG_CO_QUYEN_TRUY_CAP_TEP', message: `Không có quyền đọc hoặc ghi ${where}`.trim(), exit: 1 };
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EROFS':
    case 'ENOSPC':
    case 'EEXIST':
      return { code: 'KHONG_GHI_DUOC_TEP', message: `Không ghi được vào ${where} (${e.code}): đường dẫn không phải thư mục ghi được hoặc đĩa đầy`, exit: 1 };
    case 'EADDRINUSE':
      return { code: 'CONG_DANG_DUOC_DUNG', message: `Địa chỉ ${e.address ?? ''}:${e.port ?? ''} đang được chương trình khác dùng; dừng chương trình đó hoặc đặt NDXP_LISTEN / NDXP_ADMIN_LISTEN khác`, exit: 1 };
    case 'EADDRNOTAVAIL':
      return { code: 'DIA_CHI_KHONG_HOP_LE', message: `Máy này không có địa chỉ ${e.address ?? ''} để lắng nghe; kiểm tra NDXP_LISTEN / NDXP_ADMIN_LISTEN`, exit: 1 };
    default:
      return undefined;
  }
}

/** Commander's English usage errors, in Vietnamese (the names quoted in its message are kept). */
function usageMessage(err: CommanderError): string {
  const quoted = [...err.message.matchAll(/'([^']+)'/g)].map((m) => m[1]);
  const suggestion = /Did you mean (.+?)\?/.exec(err.message)?.[1];
  const hint = suggestion ? ` (có phải ý bạn là ${suggestion}?)` : '';
  switch (err.code) {
    case 'commander.missingArgument':
      return `Thiếu tham số bắt buộc «${quoted[0]}»`;
    case 'commander.optionMissingArgument':
      return `Tùy chọn ${quoted[0]} cần một giá trị`;
    case 'commander.missingMandatoryOptionValue':
      return `Thiếu tùy chọn bắt buộc ${quoted[0]}`;
    case 'commander.unknownOption':
      return `Không có tùy chọn ${quoted[0]}${hint}`;
    case 'commander.unknownCommand':
      return `Không có lệnh «${quoted[0]}»${hint}`;
    case 'commander.excessArguments':
      return `Thừa tham số cho lệnh «${quoted[0]}»`;
    case 'commander.conflictingOption':
      return `Không dùng được cùng lúc ${quoted.join(' và ')}`;
    case 'commander.invalidArgument':
      return `Giá trị không hợp lệ: ${quoted.join(', ')}`;
    default:
      return `Sai cú pháp lệnh (${err.code})`;
  }
}
