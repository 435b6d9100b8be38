/**
 * Operator verbs of abuse protection:
 *   ndxp keys lockouts [--json]      active lockouts of key guessing (shared through Redis)
 *   ndxp keys unlock ID [--json]     lift one (ID as listed: cert:<SERIAL> or addr:<address>)
 *   ndxp ratelimit status [--json]   the limits in force and whether Redis is reachable
 * The lockout verbs live under `keys` because that is where an operator looks when a software
 * says its key is refused; the keys area calls registerLockoutCommands on its `keys` command.
 */
import type { Command } from 'commander';
import { CliFailure, UsageError, print, table, cliActor, type CommonOptions, type CliHost } from '../../core/cli-output.js';
import type { AppContext } from '../../core/context.js';
import { createRateLimiter, LockoutStoreUnavailable, type Lockout, type RateLimiter } from './index.js';

const REDIS_WAIT_MS = 3000;

async function withLimiter<T>(ctx: AppContext, fn: (limiter: RateLimiter) => Promise<T>): Promise<T> {
  const limiter = createRateLimiter(ctx);
  try {
    if (!(await limiter.ready(REDIS_WAIT_MS))) throw redisDown(ctx);
    return await fn(limiter);
  } catch (err) {
    if (err instanceof LockoutStoreUnavailable) throw redisDown(ctx);
    throw err;
  } finally {
    await limiter.close();
  }
}

function redisDown(ctx: AppContext): CliFailure {
  const url = ctx.config.redisUrl.replace(/\/\/[^@/]*@/, '//***@');
  return new CliFailure(`Không kết nối được Redis tại ${url}, nơi lưu các lệnh tạm khóa dùng chung`, 'REDIS_KHONG_KET_NOI');
}

function lockoutRows(lockouts: Lockout[]) {
  return lockouts.map((l) => ({
    'MÃ': l.id,
    'LẦN': l.level,
    'KHÓA ĐẾN': l.lockedUntil,
    'CÒN (GIÂY)': l.retryAfterSeconds,
    'ĐỊA CHỈ GẦN NHẤT': l.lastRemoteAddress ?? '',
  }));
}

export function registerLockoutCommands(keys: Command, cli: CliHost): void {
  keys
    .command('lockouts')
    .description('liệt kê các kết nối đang bị tạm khóa do nhập sai mã kết nối nhiều lần')
    .option('--json', 'in một tài liệu JSON ra stdout')
    .action(async (options: CommonOptions) => {
      await cli.withContext(options, (ctx) =>
        withLimiter(ctx, async (limiter) => {
          const lockouts = await limiter.listLockouts();
          print(options, { lockouts }, table(lockoutRows(lockouts), ['MÃ', 'LẦN', 'KHÓA ĐẾN', 'CÒN (GIÂY)', 'ĐỊA CHỈ GẦN NHẤT']));
        }),
      );
    });

  keys
    .command('unlock')
    .description('gỡ tạm khóa cho một chứng thư (cert:<SERIAL>) hoặc địa chỉ (addr:<địa chỉ>)')
    .argument('<id>', 'mã tạm khóa như trong `ndxp keys lockouts`')
    .option('--json', 'in một tài liệu JSON ra stdout')
    .action(async (id: string, options: CommonOptions) => {
      if (!/^(cert|addr):.+$/.test(id)) throw new UsageError(`Mã tạm khóa "${id}" phải có dạng cert:<SERIAL> hoặc addr:<địa chỉ>`);
      await cli.withContext(options, (ctx) =>
        withLimiter(ctx, async (limiter) => {
          const lifted = await limiter.liftLockout(id, cliActor());
          if (!lifted) throw new CliFailure(`Không có lệnh tạm khóa nào đang hiệu lực cho ${id}`, 'KHONG_TIM_THAY_TAM_KHOA');
          print(options, { lifted }, `Đã gỡ tạm khóa ${id} (khóa lần ${lifted.level}, lẽ ra đến ${lifted.lockedUntil}).`);
        }),
      );
    });
}

export function register(program: Command, cli: CliHost): void {
  const ratelimit = program.command('ratelimit').description('giới hạn tần suất và chống dò mã kết nối');
  ratelimit
    .command('status')
    .description('các giới hạn đang áp dụng, trạng thái Redis và số kết nối đang bị tạm khóa')
    .option('--json', 'in một tài liệu JSON ra stdout')
    .action(async (options: CommonOptions) => {
      await cli.withContext(options, async (ctx) => {
        const limiter = createRateLimiter(ctx);
        try {
          const redisConnected = await limiter.ready(REDIS_WAIT_MS);
          const lockouts = redisConnected ? (await limiter.listLockouts()).length : null;
          const s = ctx.config.rateLimit;
          const doc = { settings: s, redisConnected, activeLockouts: lockouts };
          print(options, doc, [
            `Mỗi mã kết nối: ${s.requestsPerSecond} yêu cầu/giây, ${s.recordsPerSecond} hồ sơ/giây, dồn tối đa ${s.burstSeconds} giây, ${s.concurrentPerKey} yêu cầu đồng thời/nút`,
            `Mỗi đơn vị: ${s.unitRequestsPerSecond} yêu cầu/giây, ${s.unitRecordsPerSecond} hồ sơ/giây`,
            `Chống dò mã: khóa sau ${s.lockoutThreshold} lần sai trong ${s.lockoutWindowSeconds} giây; ${s.lockoutBaseSeconds} giây, nhân đôi mỗi lần, tối đa ${s.lockoutMaxSeconds} giây`,
            `Redis: ${redisConnected ? 'đã kết nối (giới hạn dùng chung giữa các nút)' : `KHÔNG kết nối được — mỗi nút dùng 1/${s.expectedNodes} giới hạn trong bộ nhớ`}`,
            `Đang tạm khóa: ${lockouts ?? 'không rõ (Redis không kết nối được)'}`,
          ]);
        } finally {
          await limiter.close();
        }
      });
    });
}
