/**
 * The simulator and one gateway (`ndxp start`) in their own processes on a fresh deployment
 * (setup.ts), for the benches that measure the gateway alone (profile, overload). `stop()`
 * stops both and removes the temporary directory.
 */
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareDeployment, SAMPLE_REMAP, SAMPLE_TREE, type ClientSpec, type Deployment, type PrepareOptions } from './setup.js';
import { freePort, startServer, type Server } from './processes.js';
import { REPO_ROOT } from './report.js';

export interface BenchStack {
  dir: string;
  d: Deployment;
  gwUrl: string;
  simControlUrl: string;
  sim: Server;
  gateway: Server;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Temporary directory name prefix. */
  prefix: string;
  workers: number;
  clients: ClientSpec[];
  config: PrepareOptions['config'];
  /** Node flags before `ndxp start` (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** More environment for the gateway processes. */
  env?: Record<string, string>;
}

export async function startBenchStack(o: StackOptions): Promise<BenchStack> {
  const dir = mkdtempSync(path.join(os.tmpdir(), o.prefix));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  const ports = { gateway: await freePort(), admin: await freePort(), sim: await freePort(), simControl: await freePort(), nginx: 0 };
  const servers: Server[] = [];
  const stop = async () => {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
    servers.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const d = await prepareDeployment({ dir, ports, workers: o.workers, clients: o.clients, signingUnits: ['000.00.00.H06'], remap: SAMPLE_REMAP, tree: SAMPLE_TREE, config: o.config });
    const node = process.execPath;
    const ndxp = path.join(REPO_ROOT, 'bin', 'ndxp.js');
    const sim = await startServer({ name: 'central-sim', cmd: node, args: [ndxp, 'central-sim', '--control-listen', `127.0.0.1:${ports.simControl}`, '--json'], env: d.env, logDir, waitForJson: true });
    servers.push(sim);
    const gateway = await startServer({ name: 'gateway', cmd: node, args: [...(o.nodeArgs ?? []), ndxp, 'start', '--json'], env: { ...d.env, NDXP_WORKERS: String(o.workers), ...o.env }, logDir, waitForJson: true, timeoutMs: 120_000 });
    servers.push(gateway);
    return { dir, d, gwUrl: `https://127.0.0.1:${ports.gateway}`, simControlUrl: `http://127.0.0.1:${ports.simControl}`, sim, gateway, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
