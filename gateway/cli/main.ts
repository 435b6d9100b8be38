/**
 * `ndxp <area> <verb>`: the one command-line program for every operator task. Each area
 * registers its verbs from its own module; this file only assembles them and maps failures to
 * exit codes (0 ok, 1 failure, 2 bad usage).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../../config/config.js';
import { GatewayError } from '../../core/errors.js';
import { CliFailure, UsageError } from '../../core/cli-output.js';
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

export function buildProgram(): Command {
  const program = new Command('ndxp')
    .description('ndxp-gateway: cổng kết nối phần mềm quản lý cán bộ với CSDL quốc gia')
    .option('--config <file>', 'tệp cấu hình JSON (mặc định: $NDXP_CONFIG)')
    .showHelpAfterError()
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
  // Every verb inherits --json and --config so they can be given after the verb.
  const addCommon = (cmd: Command) => {
    for (const sub of cmd.commands) {
      if (sub.commands.length === 0) {
        if (!sub.options.some((o) => o.long === '--json')) sub.option('--json', 'in một tài liệu JSON ra stdout');
        if (!sub.options.some((o) => o.long === '--config')) sub.option('--config <file>', 'tệp cấu hình JSON');
      }
      sub.exitOverride();
      addCommon(sub);
    }
  };
  addCommon(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  const wantsJson = process.argv.includes('--json');
  const fail = (code: string, message: string, exit: number, details?: unknown) => {
    if (wantsJson) process.stdout.write(JSON.stringify({ error: { code, message, details } }, null, 2) + '\n');
    process.stderr.write(`Lỗi (${code}): ${message}\n`);
    return exit;
  };
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2; // commander already printed the usage problem
  }
  if (err instanceof UsageError) return fail('SAI_CU_PHAP', err.message, 2);
  if (err instanceof ConfigError) return fail('CAU_HINH_KHONG_HOP_LE', err.message, 1);
  if (err instanceof CliFailure) return fail(err.code, err.message, 1, err.details);
  if (err instanceof GatewayError) return fail(err.code, err.message, 1);
  const e = err as Error;
  return fail('LOI_HE_THONG', e?.stack ?? String(err), 1);
}
