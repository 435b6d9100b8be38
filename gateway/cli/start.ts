/**
 * `ndxp start`: runs the gateway. On first start with embedded defaults it creates the dev CA
 * and certificates and a first network-admin credential, then prints where everything is.
 *
 * Process layout: with one worker everything runs in this process. With more (default: one per
 * core), the primary runs the admin plane and supervises; each worker runs the data plane on
 * the shared port plus delivery. A worker that dies is replaced. SIGTERM/SIGINT: stop
 * accepting, let in-flight requests and deliveries finish, hand back queued work, exit.
 *
 * `ndxp health`: the container health check (asks the admin plane's /healthz).
 */
import cluster from 'node:cluster';
import os from 'node:os';
import https from 'node:https';
import path from 'node:path';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { publicUrl, splitHostPort, usesRedis, type Config } from '../../config/config.js';
import { closeContext, openContext } from '../context.js';
import { type AppContext } from '../../core/context.js';
import type { Logger } from '../../core/log.js';
import { checkRedis, RedisUnavailableError } from '../redis/check.js';
import { startGatewayNode, type GatewayNode, type NodeRoles } from '../runtime.js';
import { ensurePki } from '../../certs/pki.js';
import { issueCertificate } from '../../certs/issue.js';
import { CliFailure, cliConfig, print, type CommonOptions } from '../../core/cli-output.js';
import { workerExecArgv } from './worker-flags.js';

const FIRST_ADMIN_MARKER = 'first-admin-issued';

/** The one start-up line of the embedded mode (no REDIS_URL, no DATABASE_URL). */
export const EMBEDDED_MODE_LINE =
  'Chế độ nhúng (CHE_DO_NHUNG): không đặt REDIS_URL nên cổng kết nối chạy một nút, hàng đợi gửi lại nằm trong kho dữ liệu, giới hạn tần suất và tạm khóa giữ trong bộ nhớ. Nhiều nút dùng chung PostgreSQL cần REDIS_URL.';

interface StartOptions extends CommonOptions {
  workers?: string;
}

interface FirstAdmin {
  p12File?: string;
  /** Owner-only (0600) file holding the password of the PKCS#12 and of the encrypted PEM key. */
  passwordFile: string;
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

/**
 * Issues the first network-admin certificate once per deployment and says where it is. Nothing
 * of it is in clear under the data directory: a password-protected PKCS#12 and an encrypted
 * PKCS#8 PEM key, the password in an owner-only file. The password is never printed: start-up
 * output ends up in terminals, container logs and CI transcripts.
 */
async function firstAdminCredential(ctx: AppContext): Promise<FirstAdmin | undefined> {
  const existing = await ctx.store.db.selectFrom('settings').select('value').where('name', '=', FIRST_ADMIN_MARKER).executeTakeFirst();
  if (existing) return undefined;
  const outDir = path.join(ctx.config.dataDir, 'admin');
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const passwordFile = path.join(outDir, 'first-admin.password');
  writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
  chmodSync(passwordFile, 0o600); // a file left by an interrupted first start keeps its old mode otherwise
  const issued = await issueCertificate(
    ctx,
    { kind: 'admin', cn: 'first-admin', role: 'network-admin', outDir, p12Password: password, keyPassword: password },
    'system:first-start',
  );
  await ctx.store.db
    .insertInto('settings')
    .values({ name: FIRST_ADMIN_MARKER, value: issued.serial, updated_at: Date.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  return { p12File: issued.p12File, passwordFile, certFile: issued.certFile, keyFile: issued.keyFile, caFile: issued.caFile };
}

function banner(config: Config, node: GatewayNode, admin: FirstAdmin | undefined): string[] {
  const dataPort = node.dataPlane?.port ?? splitHostPort(config.listen).port;
  const adminHostPort = splitHostPort(config.adminListen);
  const adminPort = node.adminPlane?.port ?? adminHostPort.port;
  const base = publicUrl(config, dataPort);
  const lines = [
    'ndxp-gateway đang chạy',
    `  Cổng dữ liệu (mTLS):     ${base}`,
    `    Nhà cung cấp A (WSDL):  ${base}/QLCBService.asmx?WSDL`,
    `    Nhà cung cấp B (WSDL):  ${base}/hrm/sync/v2?wsdl`,
    `    Nhà cung cấp C:         ${base}/vendor-c/hoso`,
    `    JSON / token:           ${base}/api/v1/whoami, ${base}/token`,
    `  Cổng quản trị:           https://${adminHostPort.host}:${adminPort} (OpenAPI: /openapi.json, /healthz, /readyz, /metrics)`,
    `  CSDL quốc gia:           ${config.centralUrl}`,
    `  Dữ liệu:                 ${config.dataDir} (CA: ${path.join(config.dataDir, 'pki')})`,
  ];
  if (admin) {
    lines.push(
      '',
      'Chứng thư quản trị đầu tiên (network-admin) — chỉ tạo một lần; hãy chuyển đến nơi cất giữ an toàn rồi xóa khỏi máy chủ:',
      `  PKCS#12:  ${admin.p12File}`,
      `  PEM:      ${admin.certFile} + ${admin.keyFile} (khóa đã mã hóa; CA: ${admin.caFile})`,
      `  Mật khẩu: ${admin.passwordFile} (chỉ chủ sở hữu đọc được; mật khẩu không được in ra)`,
      `  Thử:      curl --cacert ${admin.caFile} --cert ${admin.certFile} --key ${admin.keyFile} --pass "$(cat ${admin.passwordFile})" https://127.0.0.1:${adminPort}/api/v1/admin/whoami`,
    );
  }
  lines.push(
    '',
    'Kết nối một phần mềm: ndxp certs issue --cn PHAN_MEM --unit MA_DON_VI --out DIR; ndxp keys create --software PHAN_MEM --unit MA_DON_VI --vendor vendor-a-asmx; ndxp certs issue-signing --unit MA_DON_VI',
  );
  return lines;
}

function onSignals(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('Đang dừng có kiểm soát', { kind: 'shutdown', signal });
    const force = setTimeout(() => {
      log.error('Quá 30 giây chưa dừng xong; buộc dừng', { kind: 'shutdown', signal, code: 'DUNG_CUONG_BUC' });
      process.exit(1);
    }, 30_000);
    force.unref();
    stop()
      .then(() => {
        log.info('Đã dừng', { kind: 'shutdown', signal });
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error('Lỗi khi dừng', { kind: 'shutdown', signal, err: err as Error });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

async function runWorker(config: Config): Promise<void> {
  const ctx = await openContext(config);
  const node = await startGatewayNode(ctx, { dataPlane: true, adminPlane: false, delivery: true }, { clustered: true });
  onSignals(ctx.log, async () => {
    await node.close();
    await closeContext(ctx);
  });
  process.send?.({ ndxp: 'ready', port: node.dataPlane?.port });
}

async function runPrimary(config: Config, options: StartOptions): Promise<void> {
  const workers = Number(options.workers ?? config.workers) || os.availableParallelism();
  if (usesRedis(config)) {
    try {
      await checkRedis(config.redisUrl);
    } catch (err) {
      if (err instanceof RedisUnavailableError) throw new CliFailure(err.message, err.code);
      throw err;
    }
  }
  const ctx = await openContext(config);
  // Said once, by the primary: which coordination this node runs with.
  if (!usesRedis(config)) ctx.log.warn(EMBEDDED_MODE_LINE, { code: 'CHE_DO_NHUNG' });
  await ensurePki(ctx);
  const admin = await firstAdminCredential(ctx);
  const roles: NodeRoles = workers <= 1 ? { dataPlane: true, adminPlane: true, delivery: true } : { dataPlane: false, adminPlane: true, delivery: false };
  let node: GatewayNode;
  try {
    node = await startGatewayNode(ctx, roles, { clustered: workers > 1 });
  } catch (err) {
    // A port in use (EADDRINUSE) and the like: main reports it; nothing may keep the process alive.
    await closeContext(ctx).catch(() => undefined);
    throw err;
  }
  let dataPort = node.dataPlane?.port;
  let stopping = false;

  if (workers > 1) {
    const ready = new Promise<number>((resolve, reject) => {
      let count = 0;
      cluster.on('message', (_w, msg: { ndxp?: string; port?: number }) => {
        if (msg?.ndxp === 'ready' && ++count === workers) resolve(msg.port ?? 0);
      });
      cluster.on('exit', (worker, code, signal) => {
        if (stopping) return;
        if (count < workers) reject(new CliFailure(`Tiến trình xử lý ${worker.process.pid} dừng khi khởi động (code ${code ?? signal})`, 'KHOI_DONG_THAT_BAI'));
        else {
          ctx.log.error('Tiến trình xử lý cổng dữ liệu đã dừng; khởi động tiến trình mới', { pid: worker.process.pid, code, signal });
          cluster.fork();
        }
      });
    });
    cluster.setupPrimary({ execArgv: workerExecArgv(config) });
    for (let i = 0; i < workers; i++) cluster.fork();
    dataPort = await ready;
  }
  onSignals(ctx.log, async () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    await Promise.all(
      Object.values(cluster.workers ?? {}).map((w) => new Promise<void>((resolve) => (w && !w.isDead() ? w.once('exit', () => resolve()) : resolve()))),
    );
    await node.close();
    await closeContext(ctx);
  });
  const adminUrl = `https://${splitHostPort(config.adminListen).host}:${node.adminPlane?.port}`;
  ctx.log.info('Cổng kết nối đã khởi động', { kind: 'startup', mode: usesRedis(config) ? 'redis' : 'embedded', dataPlane: publicUrl(config, dataPort), adminPlane: adminUrl, workers });
  // Printed last: whoever waits for this line (scripts, tests) may signal the process at once.
  const printed = banner(config, { ...node, dataPlane: node.dataPlane ?? ({ port: dataPort } as GatewayNode['dataPlane']) }, admin);
  print(options, { mode: usesRedis(config) ? 'redis' : 'embedded', dataPlane: publicUrl(config, dataPort), adminPlane: adminUrl, workers, firstAdmin: admin ?? null }, printed);
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Chạy cổng kết nối (tạo CA và chứng thư thử nghiệm ở lần chạy đầu)')
    .option('--workers <n>', 'số tiến trình xử lý cổng dữ liệu (mặc định: số lõi CPU)')
    .option('--json', 'in một tài liệu JSON ra stdout')
    .action(async (options: StartOptions) => {
      const config = cliConfig(options);
      if (cluster.isWorker) return runWorker(config);
      return runPrimary(config, options);
    });

  program
    .command('health')
    .description('Kiểm tra /healthz của cổng quản trị (dùng cho HEALTHCHECK của container)')
    .option('--json', 'in một tài liệu JSON ra stdout')
    .action(async (options: CommonOptions) => {
      const config = cliConfig(options);
      const { host, port } = splitHostPort(config.adminListen);
      const target = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
      const body = await new Promise<string>((resolve, reject) => {
        // Liveness only: the admin plane's certificate is our own CA's; no client certificate needed.
        const req = https.get({ host: target, port, path: '/healthz', rejectUnauthorized: false, timeout: 4000 }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => (res.statusCode === 200 ? resolve(data) : reject(new CliFailure(`/healthz trả về ${res.statusCode}`, 'KHONG_KHOE'))));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (err) => reject(new CliFailure(`Không gọi được ${target}:${port}/healthz: ${err.message}`, 'KHONG_KHOE')));
      });
      print(options, JSON.parse(body), 'ok');
    });
}
