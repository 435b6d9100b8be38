/**
 * Operator verbs of abuse protection:
 *   ndxp keys lockouts [--json]      active lockouts of key guessing (shared through Redis)
 *   ndxp keys unlock ID [--json]     lift one (ID as listed: cert:<SERIAL> or addr:<address>)
 *   ndxp ratelimit status [--json]   the limits in force and whether Redis is reachable
 * The lockout verbs live under `keys` because that is where an operator looks when a software
 * says its key is refused; the keys area calls registerLockoutCommands on its `keys` command.
 */
import type { Command } from 'commander';
import { CliFailure, UsageError, print, table, cliActor, type CliHost, type VerbOptions } from '../../core/cli-output.js';
import type { AppContext } from '../../core/context.js';
import { pingRedis, redisProblem, safeRedisUrl } from '../redis/check.js';
import { redisUrlOf, usesRedis } from '../../config/config.js';
import { createRateLimiter, LockoutStoreUnavailable, type Lockout, type RateLimiter } from './index.js';

/** How long a verb gives Redis to answer before it gives up (a hung Redis must not hang the verb). */
const REDIS_WAIT_MS = 3000;

/** Asks Redis first (bounded), so a verb against a hung or absent Redis says so instead of waiting. */
async function withLimiter<T>(ctx: AppContext, fn: (limiter: RateLimiter) => Promise<T>): Promise<T> {
  if (!usesRedis(ctx.config)) throw embeddedLockouts();
  const answer = await pingRedis(ctx.config.redisUrl, REDIS_WAIT_MS);
  if (answer.state !== 'ok') {
    const problem = redisProblem(ctx.config.redisUrl, answer);
    throw new CliFailure(`${problem.message}; không đọc được các lệnh tạm khóa dùng chung`, problem.code);
  }
  const limiter = createRateLimiter(ctx);
  try {
    if (!(await limiter.ready(REDIS_WAIT_MS))) throw redisDown(ctx, limiter.stats().redisHung);
    return await fn(limiter);
  } catch (err) {
    if (err instanceof LockoutStoreUnavailable) throw redisDown(ctx, err.code === 'REDIS_KHONG_PHAN_HOI');
    throw err;
  } finally {
    await limiter.close();
  }
}

/** Embedded mode: lockouts live in the running gateway's memory, out of reach of another process. */
function embeddedLockouts(): CliFailure {
  return new CliFailure(
    'Cổng kết nối chạy ở chế độ nhúng (không đặt REDIS_URL): các lệnh tạm khóa nằm trong bộ nhớ của tiến trình gateway đang chạy. Xem và gỡ qua API quản trị: GET /api/v1/admin/lockouts, DELETE /api/v1/admin/lockouts/{id}; hoặc khởi động lại gateway (mọi lệnh tạm khóa được xóa)',
    'CHE_DO_NHUNG_TAM_KHOA_TRONG_BO_NHO',
  );
}

function redisDown(ctx: AppContext, hung: boolean): CliFailure {
  const url = safeRedisUrl(redisUrlOf(ctx.config));
  return hung
    ? new CliFailure(`Redis tại ${url}, nơi lưu các lệnh tạm khóa dùng chung, nhận kết nối nhưng không trả lời`, 'REDIS_KHONG_PHAN_HOI')
    : new CliFailure(`Không kết nối được Redis tại ${url}, nơi lưu các lệnh tạm khóa dùng chung`, 'REDIS_KHONG_KET_NOI');
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
    .action(async (_o: unknown, cmd: Command) =>
      cli.runVerb(cmd, (ctx, options) =>
        withLimiter(ctx, async (limiter) => {
          const lockouts = await limiter.listLockouts();
          print(options, { lockouts }, table(lockoutRows(lockouts), ['MÃ', 'LẦN', 'KHÓA ĐẾN', 'CÒN (GIÂY)', 'ĐỊA CHỈ GẦN NHẤT']));
        }),
      ),
    );

  keys
    .command('unlock')
    .description('gỡ tạm khóa cho một chứng thư (cert:<SERIAL>) hoặc địa chỉ (addr:<địa chỉ>)')
    .argument('<id>', 'mã tạm khóa như trong `ndxp keys lockouts`')
    .option('--json', 'in một tài liệu JSON ra stdout')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      if (!/^(cert|addr):.+$/.test(id)) throw new UsageError(`Mã tạm khóa "${id}" phải có dạng cert:<SERIAL> hoặc addr:<địa chỉ>`);
      await cli.runVerb(cmd, (ctx, options) =>
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
    .action(async (_o: unknown, cmd: Command) =>
      cli.runVerb(cmd, async (ctx, options: VerbOptions) => {
        const s = ctx.config.rateLimit;
        const embedded = !usesRedis(ctx.config);
        const answer = embedded ? undefined : await pingRedis(redisUrlOf(ctx.config), REDIS_WAIT_MS);
        const problem = !answer || answer.state === 'ok' ? undefined : redisProblem(redisUrlOf(ctx.config), answer);
        let redisConnected = false;
        let lockouts: number | null = null;
        if (!embedded && !problem) {
          const limiter = createRateLimiter(ctx);
          try {
            redisConnected = await limiter.ready(REDIS_WAIT_MS);
            lockouts = redisConnected ? (await limiter.listLockouts()).length : null;
          } catch (err) {
            if (!(err instanceof LockoutStoreUnavailable)) throw err;
          } finally {
            await limiter.close();
          }
        }
        const doc = { mode: embedded ? 'embedded' : 'redis', settings: s, redisConnected, activeLockouts: lockouts, ...(problem ? { redisProblem: problem } : {}) };
        print(options, doc, [
          `Mỗi mã kết nối: ${s.requestsPerSecond} yêu cầu/giây, ${s.recordsPerSecond} hồ sơ/giây, dồn tối đa ${s.burstSeconds} giây, ${s.concurrentPerKey} yêu cầu đồng thời/nút`,
          `Mỗi đơn vị: ${s.unitRequestsPerSecond} yêu cầu/giây, ${s.unitRecordsPerSecond} hồ sơ/giây`,
          `Chống dò mã: khóa sau ${s.lockoutThreshold} lần sai trong ${s.lockoutWindowSeconds} giây; ${s.lockoutBaseSeconds} giây, nhân đôi mỗi lần, tối đa ${s.lockoutMaxSeconds} giây`,
          embedded
            ? 'Redis: không dùng (chế độ nhúng, CHE_DO_NHUNG): một nút, giới hạn và tạm khóa trong bộ nhớ của tiến trình gateway'
            : `Redis: ${redisConnected ? 'đã kết nối (giới hạn dùng chung giữa các nút)' : `${problem?.code === 'REDIS_KHONG_PHAN_HOI' ? 'KHÔNG trả lời' : 'KHÔNG kết nối được'} — mỗi nút dùng 1/${s.expectedNodes} giới hạn trong bộ nhớ${problem ? ` (${problem.code})` : ''}`}`,
          `Đang tạm khóa: ${lockouts ?? (embedded ? 'xem GET /api/v1/admin/lockouts trên cổng quản trị' : 'không rõ (Redis không kết nối được)')}`,
        ]);
      }),
    );
}
