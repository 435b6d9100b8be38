/**
 * `ndxp queue …`: the delivery queue from the command line, straight on the store (and Redis for
 * the job counts). Same operations (and audit trail) as the admin API.
 *   status                      depth by state, oldest waiting, delivery rate, breakers, Redis
 *   dead [--unit U] [--limit N] dead letters with their reasons
 *   replay ID | --all [--unit U] put dead letters back in the queue
 *   discard ID --reason R       give up on one record, for a stated reason
 *   show ID                     what became of one record
 */
import type { Command } from 'commander';
import type { AppContext } from '../../core/context.js';
import { CliFailure, UsageError, cliActor, confirm, print, table, vietnamTime, type VerbOptions, type CliHost, type VerbRunner } from '../../core/cli-output.js';
import { listDead, maskPersonalId, queueStatus } from './status.js';
import { discard, QueueActionError, replayDead } from './operations.js';
import { getRow, toTrackingState } from './outbox.js';

type Opts = VerbOptions;

/** This area's errors as bad usage (exit 2) or failures (exit 1); anything else goes to main's mapping. */
const translate = (err: unknown): Error | undefined => {
  if (!(err instanceof QueueActionError)) return undefined;
  return err.httpStatus === 400 ? new UsageError(err.message) : new CliFailure(err.message, err.code);
};

const STATE_VI: Record<string, string> = {
  pending: 'chờ đưa vào hàng đợi',
  queued: 'đang chờ gửi',
  delivering: 'đang gửi',
  delivered: 'đã gửi thành công',
  stale: 'phiên bản cũ',
  rejected: 'bị từ chối',
  dead: 'hàng lỗi (dead)',
  superseded: 'được thay bằng phiên bản mới hơn',
  discarded: 'đã hủy',
  invalid: 'không hợp lệ',
};
const BREAKER_VI: Record<string, string> = { closed: 'đóng (gửi bình thường)', open: 'mở (tạm ngừng gửi)', 'half-open': 'nửa mở (đang thử lại)' };
const redisDownLine = (code?: string) => (code === 'REDIS_KHONG_PHAN_HOI' ? 'KHÔNG trả lời' : 'KHÔNG kết nối được');
const iso = (ms?: number) => (ms ? vietnamTime(ms) : '—');

export function register(program: Command, cli: CliHost): void {
  const run: VerbRunner = (cmd, fn) => cli.runVerb(cmd, fn, translate);
  const queue = program.command('queue').description('hàng đợi gửi hồ sơ tới CSDL quốc gia');

  queue
    .command('status')
    .description('độ dài hàng đợi theo trạng thái, hồ sơ chờ lâu nhất, tốc độ gửi, cầu dao từng nút')
    .action(async (_o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const s = await queueStatus(ctx);
        const lines = [
          `Đang chờ gửi: ${s.waiting}`,
          ...Object.entries(s.depth)
            .sort()
            .map(([state, n]) => `  ${STATE_VI[state] ?? state} (${state}): ${n}`),
          `Chờ lâu nhất: ${s.oldestWaiting ? `${s.oldestWaiting.trackingId}, từ ${vietnamTime(s.oldestWaiting.createdAt)} (${s.oldestWaiting.ageSeconds} giây)` : '—'}`,
          `Tốc độ gửi (hồ sơ/phút): 1 phút ${s.ratePerMinute.last1} · 5 phút ${s.ratePerMinute.last5} · 15 phút ${s.ratePerMinute.last15}`,
          s.mode === 'embedded'
            ? 'Hàng đợi: trong kho dữ liệu (chế độ nhúng, không dùng Redis; CHE_DO_NHUNG)'
            : `Redis: ${s.redis.reachable ? `kết nối được; việc trong hàng đợi ${JSON.stringify(s.redis.jobs)}` : `${redisDownLine(s.redis.code)} (${s.redis.code ?? 'REDIS_KHONG_SAN_SANG'}); hồ sơ vẫn được giữ trong outbox${s.redis.message ? `\n  ${s.redis.message}` : ''}`}`,
          'Cầu dao (circuit breaker) theo nút:',
          s.breakers.length
            ? table(
                s.breakers.map((b) => ({ node: b.stale ? `${b.node} (không còn tín hiệu)` : b.node, state: BREAKER_VI[b.state] ?? b.state, failures: b.consecutiveFailures, probeAt: iso(b.probeAt), lastError: b.lastError ?? '', updated: iso(b.updatedAt) })),
                ['node', 'state', 'failures', 'probeAt', 'lastError', 'updated'],
              )
            : '  (không có nút nào đang chạy)',
        ];
        print(opts, s, lines);
      }),
    );

  queue
    .command('dead')
    .description('hồ sơ trong hàng lỗi (dead letter) và lý do')
    .option('--unit <code>', 'chỉ đơn vị gửi này')
    .option('--limit <n>', 'số dòng tối đa', '100')
    .action(async (_o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit <= 0) throw new UsageError('--limit phải là số nguyên dương');
        const dead = await listDead(ctx, { limit, unit: opts.unit as string | undefined });
        print(opts, { dead }, table(dead.map((d) => ({ ...d, id: d.soDinhDanh ?? d.maDinhDanh })) as Record<string, unknown>[], ['trackingId', 'kind', 'id', 'unitCode', 'attempts', 'deadSince', 'reason']));
      }),
    );

  queue
    .command('replay')
    .description('đưa hồ sơ từ hàng lỗi trở lại hàng đợi (số lần thử tính lại từ đầu)')
    .argument('[trackingId]', 'mã theo dõi')
    .option('--all', 'mọi hồ sơ trong hàng lỗi')
    .option('--unit <code>', 'cùng --all: chỉ đơn vị gửi này')
    .option('--yes', 'cùng --all: xác nhận không cần hỏi (bắt buộc khi không chạy trên màn hình dòng lệnh)')
    .action(async (trackingId: string | undefined, _o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        if (!trackingId && !opts.all) throw new UsageError('Cần mã theo dõi hoặc --all');
        if (trackingId && opts.all) throw new UsageError('Chỉ dùng một trong hai: mã theo dõi hoặc --all');
        if (opts.all) await confirm(opts, `Đưa MỌI hồ sơ trong hàng lỗi${opts.unit ? ` của đơn vị ${String(opts.unit)}` : ''} trở lại hàng đợi để gửi lại?`);
        const target = trackingId ? { trackingId } : { all: true as const, unit: opts.unit as string | undefined };
        const result = await replayDead(ctx, target, cliActor());
        print(opts, { ...result, count: result.replayed.length }, `Đã đưa lại ${result.replayed.length} hồ sơ vào hàng đợi; các nút gateway đang chạy sẽ gửi trong vòng ${ctx.config.delivery.relayIntervalMs} ms.`);
      }),
    );

  queue
    .command('discard')
    .description('hủy gửi một hồ sơ (đang chờ hoặc trong hàng lỗi), có nêu lý do')
    .argument('<trackingId>', 'mã theo dõi')
    .requiredOption('--reason <text>', 'lý do hủy (ghi vào nhật ký kiểm toán)')
    .option('--yes', 'xác nhận không cần hỏi (bắt buộc khi không chạy trên màn hình dòng lệnh)')
    .action(async (trackingId: string, _o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        await confirm(opts, `Hủy gửi hồ sơ ${trackingId}? Hồ sơ sẽ không được gửi tới CSDL quốc gia.`);
        const result = await discard(ctx, trackingId, String(opts.reason ?? ''), cliActor());
        print(opts, result, `Đã hủy gửi hồ sơ ${trackingId} (trước đó: ${STATE_VI[result.previousState] ?? result.previousState}).`);
      }),
    );

  queue
    .command('show')
    .description('trạng thái gửi của một hồ sơ theo mã theo dõi')
    .argument('<trackingId>', 'mã theo dõi')
    .action(async (trackingId: string, _o: unknown, cmd: Command) =>
      run(cmd, async (ctx, opts) => {
        const row = await getRow(ctx.store.db, trackingId);
        if (!row) throw new CliFailure(`Không tìm thấy mã theo dõi ${trackingId}`, 'MA_THEO_DOI_KHONG_TON_TAI');
        const t = toTrackingState(row);
        if (t.soDinhDanh) t.soDinhDanh = maskPersonalId(t.soDinhDanh);
        print(opts, t, [
          `Mã theo dõi: ${t.trackingId}`,
          `Trạng thái: ${STATE_VI[t.state] ?? t.state} (${t.state})`,
          `Số lần gửi: ${t.attempts}`,
          `Lỗi gần nhất: ${t.lastError ?? '—'}`,
          `Trả lời của CSDL quốc gia: ${t.central ? JSON.stringify(t.central) : '—'}`,
          `Tiếp nhận: ${iso(t.createdAt)} · cập nhật: ${iso(t.updatedAt)} · gửi xong: ${iso(t.deliveredAt)}`,
        ]);
      }),
    );
}
