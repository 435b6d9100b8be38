/**
 * Asking Redis whether it answers, within a bounded time: the start-up check (without Redis the
 * gateway refuses to start, with a message that says how to get one, rather than limping along),
 * `/readyz`, the operator verbs and the background probe of a hung Redis (health.ts).
 *
 * Two failures are told apart because operators fix them differently: nothing accepts the
 * connection (Redis is not running, wrong address) and "accepts the connection but answers
 * nothing" (Redis paused, swapping, saving under memory pressure, or a network path that drops
 * packets midway). The second one never ends on its own error, so every wait here has a deadline.
 */
import { Redis } from 'ioredis';

export type RedisAnswer =
  | { state: 'ok' }
  /** The TCP connection was accepted but no answer came within the deadline. */
  | { state: 'hung'; reason: string }
  /** No connection (refused, unresolvable, connect timeout). */
  | { state: 'unreachable'; reason: string }
  /** Redis answered with an error (NOAUTH, LOADING, …): it is alive but not usable as configured. */
  | { state: 'error'; reason: string };

export type RedisProblemCode = 'REDIS_KHONG_PHAN_HOI' | 'REDIS_KHONG_KET_NOI';

export function safeRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Connects afresh and sends one PING; never takes much longer than timeoutMs, never rejects. */
export async function pingRedis(url: string, timeoutMs: number): Promise<RedisAnswer> {
  // No handshake commands (RESP2, no client info, no ready check): on a hung server the only
  // command that waits is the PING itself, and a healthy one answers one round trip after connect.
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
    protocol: 2,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  let tcpConnected = false;
  client.once('connect', () => (tcpConnected = true));
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), timeoutMs + 250);
    timer.unref();
  });
  const silent = () => `nhận kết nối nhưng không trả lời trong ${timeoutMs} ms`;
  try {
    const reply = await Promise.race([
      (async () => {
        await client.connect();
        return client.ping();
      })(),
      deadline,
    ]);
    if (reply === 'PONG') return { state: 'ok' };
    if (reply === 'deadline') return tcpConnected ? { state: 'hung', reason: silent() } : { state: 'unreachable', reason: `không kết nối được trong ${timeoutMs} ms` };
    return { state: 'error', reason: `trả lời lạ: ${String(reply)}` };
  } catch (err) {
    const e = err as Error;
    if (e.name === 'ReplyError') return { state: 'error', reason: e.message };
    if (tcpConnected && /timed? ?out/i.test(e.message)) return { state: 'hung', reason: silent() };
    return { state: 'unreachable', reason: e.message || String(err) };
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** The operator's code and Vietnamese sentence for an answer that is not 'ok'. */
export function redisProblem(url: string, answer: Exclude<RedisAnswer, { state: 'ok' }>): { code: RedisProblemCode; message: string } {
  if (answer.state === 'hung') {
    return {
      code: 'REDIS_KHONG_PHAN_HOI',
      message: `Redis tại ${safeRedisUrl(url)} không trả lời: ${answer.reason}; Redis có thể đang bị treo, quá tải hoặc đường mạng tới Redis bị chặn giữa chừng`,
    };
  }
  return { code: 'REDIS_KHONG_KET_NOI', message: `Không kết nối được Redis tại ${safeRedisUrl(url)} (${answer.reason})` };
}

export class RedisUnavailableError extends Error {
  readonly code: 'REDIS_KHONG_KET_NOI_DUOC' | 'REDIS_KHONG_PHAN_HOI';
  constructor(url: string, answer: Exclude<RedisAnswer, { state: 'ok' }>) {
    const safe = safeRedisUrl(url);
    const hung = answer.state === 'hung';
    super(
      (hung
        ? [
            `Redis tại ${safe} ${answer.reason} (REDIS_KHONG_PHAN_HOI).`,
            'Redis có thể đang bị treo hoặc quá tải (hết bộ nhớ, đang ghi đĩa, bị tạm dừng), hoặc đường mạng tới Redis bị chặn giữa chừng. Cách khắc phục:',
            `  - kiểm tra:            redis-cli -u ${safe} PING`,
            '  - xem nhật ký và tải của máy chủ Redis; khởi động lại Redis nếu nó không trả lời',
          ]
        : [
            `Không kết nối được Redis tại ${safe} (${answer.reason}).`,
            'Cổng kết nối cần Redis cho hàng đợi gửi lại và hạn mức dùng chung giữa các nút. Cách khắc phục:',
            '  - chạy Redis cục bộ:   redis-server --daemonize yes --port 6379 --save ""',
            '  - hoặc cài đặt:        apt-get install -y redis-server',
            '  - hoặc trỏ tới Redis khác bằng biến môi trường REDIS_URL=redis://host:6379',
          ]
      ).join('\n'),
    );
    this.code = hung ? 'REDIS_KHONG_PHAN_HOI' : 'REDIS_KHONG_KET_NOI_DUOC';
    this.name = 'RedisUnavailableError';
  }
}

export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const answer = await pingRedis(url, timeoutMs);
  if (answer.state !== 'ok') throw new RedisUnavailableError(url, answer);
}
