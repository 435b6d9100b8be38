/**
 * `ndxp central-sim`: runs the central database simulator in the foreground (tests, demo,
 * benchmarks). It listens on config.centralListen (NDXP_CENTRAL_LISTEN) with the gateway's own
 * PKI from the same data directory, so a gateway configured with the default NDXP_CENTRAL_URL
 * talks to it out of the box. Stops cleanly on SIGINT / SIGTERM.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { CliFailure, UsageError, print, type CommonOptions } from '../core/cli-output.js';
import { createLogger } from '../core/log.js';
import { FaultError, parseFaults, type FaultSet } from './faults.js';
import { checkMatchingOptions } from './matching.js';
import { checkPopulationOptions } from './population.js';
import { startCentralSim, type CentralSim } from './server.js';
import { gatewayClientCommonName } from './tls.js';

interface CentralSimCliOptions extends CommonOptions {
  listen?: string;
  faults?: string;
  dataDir?: string;
  controlListen?: string;
  control?: boolean;
  requireKnownUnits?: boolean;
  onlyGateway?: boolean;
  populationSeed?: string;
  populationMismatch?: string;
  matchingAt?: string;
}

export function register(program: Command): void {
  program
    .command('central-sim')
    .description('Chạy CSDL quốc gia giả lập (HTTPS, xác thực hai chiều) cho kiểm thử, trình diễn và đo hiệu năng')
    .option('--listen <host:port>', 'địa chỉ lắng nghe (mặc định: $NDXP_CENTRAL_LISTEN, 127.0.0.1:7443)')
    .option('--faults <json>', 'lỗi giả lập ngay từ đầu, ví dụ {"status503":{"retryAfter":2}}')
    .option('--data-dir <dir>', 'thư mục dữ liệu (mặc định: $NDXP_DATA_DIR), dùng chung CA với cổng kết nối')
    .option('--control-listen <host:port>', 'cổng điều khiển HTTP chỉ trên loopback (mặc định 127.0.0.1:0)')
    .option('--no-control', 'không mở cổng điều khiển HTTP riêng (vẫn có /__sim/* trên cổng mTLS)')
    .option('--require-known-units', 'từ chối hồ sơ/đơn vị tham chiếu mã đơn vị chưa có trong cây (MA_KHONG_TON_TAI)')
    .option('--only-gateway', 'chỉ nhận chứng thư central-client của cổng kết nối (chứng thư khác: 403 KHONG_DUOC_PHEP)')
    .option('--population-seed <n>', 'hạt giống của CSDL dân cư giả lập (mặc định 1)')
    .option('--population-mismatch <share>', 'tỉ lệ số định danh có thông tin dân cư chênh lệch với hồ sơ, 0..1 (mặc định 0.1)')
    .option('--matching-at <HH:MM|off>', 'giờ đối soát hằng ngày theo giờ Việt Nam (mặc định 01:00; off: không tự chạy)')
    .action(async (opts: CentralSimCliOptions, cmd: Command) => {
      const options = { ...cmd.optsWithGlobals(), ...opts } as CentralSimCliOptions;
      await runCentralSim(options);
    });
}

/** Starts the simulator, prints where it listens, and resolves after SIGINT/SIGTERM closed it. */
export async function runCentralSim(options: CentralSimCliOptions, signal?: AbortSignal): Promise<void> {
  let faults: FaultSet | undefined;
  if (options.faults) {
    try {
      faults = parseFaults(JSON.parse(options.faults));
    } catch (err) {
      throw new UsageError(`--faults: ${err instanceof FaultError ? err.message : 'không phải JSON hợp lệ'}`);
    }
  }
  const population = {
    ...(options.populationSeed !== undefined ? { seed: Number(options.populationSeed) } : {}),
    ...(options.populationMismatch !== undefined ? { mismatchShare: Number(options.populationMismatch) } : {}),
  };
  const matching = options.matchingAt === undefined ? {} : { dailyAt: options.matchingAt === 'off' ? (false as const) : options.matchingAt };
  try {
    checkPopulationOptions(population);
    checkMatchingOptions(matching);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const config = loadConfig({
    file: options.config,
    overrides: {
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(options.listen ? { centralListen: options.listen } : {}),
    },
  });
  let sim: CentralSim;
  try {
    sim = await startCentralSim({
      config,
      faults,
      controlListen: options.control === false ? false : (options.controlListen ?? '127.0.0.1:0'),
      requireKnownUnits: options.requireKnownUnits,
      population,
      matching,
      allowedClients: options.onlyGateway ? { commonNames: [await gatewayClientCommonName(config)] } : undefined,
      log: createLogger({ component: 'central-sim' }, options.json ? 'warn' : 'info'),
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      throw new CliFailure(`Không lắng nghe được tại ${config.centralListen}: ${e.code}`, 'KHONG_LANG_NGHE_DUOC');
    }
    throw err;
  }
  print(
    options,
    { url: sim.url, port: sim.port, controlUrl: sim.controlUrl, dataDir: sim.dataDir, dataFile: sim.stats({ summary: true }).dataFile },
    [
      `CSDL quốc gia giả lập đang chạy tại ${sim.url}`,
      sim.controlUrl
        ? `Cổng điều khiển: ${sim.controlUrl}/__sim/stats, /__sim/faults, /__sim/reset, /__sim/dan-cu, /__sim/doi-soat/run`
        : 'Điều khiển: /__sim/* trên cổng mTLS',
      `Dữ liệu: ${sim.dataDir}`,
      'Nhấn Ctrl+C để dừng.',
    ],
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      signal?.removeEventListener('abort', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop);
  });
  await sim.close();
}
