/**
 * Gateway processes for tests that need the real thing: `node bin/ndxp.js start` from the build
 * (npm test builds first), configured through the environment exactly as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../config/config.js';
import { REPO, onCleanup } from './env.js';

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  adminUrl: string;
  /** Everything the process wrote to stderr so far (logs). */
  logs(): string;
  /** Everything the process wrote to stdout so far (the start document). */
  stdout(): string;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: no cleanup at all. */
  kill(): Promise<void>;
}

/** The environment that makes a gateway process use this test's data dir, store and Redis prefix. */
export function gatewayEnv(config: Config, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NDXP_DATA_DIR: config.dataDir,
    NDXP_LISTEN: '127.0.0.1:0',
    NDXP_ADMIN_LISTEN: '127.0.0.1:0',
    NDXP_CENTRAL_URL: config.centralUrl,
    REDIS_URL: config.redisUrl,
    NDXP_REDIS_PREFIX: config.redisPrefix,
    NDXP_WORKERS: '1',
    NDXP_KEYS_REFRESH_MS: String(config.keys.refreshIntervalMs),
    NDXP_LOG_LEVEL: 'warn',
    ...extra,
  };
  if (config.databaseUrl) env.DATABASE_URL = config.databaseUrl;
  if (config.databaseSchema) env.NDXP_DB_SCHEMA = config.databaseSchema;
  if (config.centralToken) env.NDXP_CENTRAL_TOKEN = config.centralToken;
  return env;
}

export async function startGatewayProcess(env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/ndxp.js'), 'start', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = await new Promise<{ dataPlane: string; adminPlane: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      try {
        const doc = JSON.parse(stdout);
        clearTimeout(timer);
        resolve(doc);
      } catch {
        /* not complete yet */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before it started:\n${stderr}`));
    });
  });
  const port = new URL(started.dataPlane).port;
  const proc: GatewayProcess = {
    child,
    url: `https://127.0.0.1:${port}`,
    adminUrl: started.adminPlane.replace('0.0.0.0', '127.0.0.1'),
    logs: () => stderr,
    stdout: () => stdout,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  onCleanup(() => proc.kill());
  return proc;
}
