/**
 * Start-up check that Redis (queue and shared rate limits) is reachable. Without it the gateway
 * refuses to start, with a message that says how to get one, rather than limping along.
 */
import { Redis } from 'ioredis';

export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_KHONG_KET_NOI_DUOC';
  constructor(url: string, cause: string) {
    const safe = url.replace(/\/\/[^@/]*@/, '//***@');
    super(
      [
        `Không kết nối được Redis tại ${safe} (${cause}).`,
        'Cổng kết nối cần Redis cho hàng đợi gửi lại và hạn mức dùng chung giữa các nút. Cách khắc phục:',
        '  - chạy Redis cục bộ:   redis-server --daemonize yes --port 6379 --save ""',
        '  - hoặc cài đặt:        apt-get install -y redis-server',
        '  - hoặc trỏ tới Redis khác bằng biến môi trường REDIS_URL=redis://host:6379',
      ].join('\n'),
    );
    this.name = 'RedisUnavailableError';
  }
}

export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`unexpected reply ${pong}`);
  } catch (err) {
    throw new RedisUnavailableError(url, (err as Error).message || String(err));
  } finally {
    client.disconnect();
  }
}
