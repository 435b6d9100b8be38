/**
 * Servers under test run as separate processes (so their CPU and memory can be read from /proc
 * and they never share an event loop with a load generator). Each is started with the exact
 * command line printed, its output going to a log file in the run's directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface Server {
  name: string;
  pid: number;
  child: ChildProcess;
  /** The command as a shell line, for the report. */
  command: string;
  /** First JSON document printed on stdout (`--json` verbs), if waited for. */
  info?: Record<string, unknown>;
  stop(): Promise<void>;
}

export function shellLine(cmd: string, args: string[], env: Record<string, string> = {}): string {
  const q = (s: string) => (/^[\w./:@=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [...Object.entries(env).map(([k, v]) => `${k}=${q(v)}`), q(cmd), ...args.map(q)].join(' ');
}

export interface StartOptions {
  name: string;
  cmd: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logDir: string;
  /** Resolve once stdout carried a complete JSON document (the `--json` start banner). */
  waitForJson?: boolean;
  /** Or once this TCP port accepts connections. */
  waitForPort?: number;
  timeoutMs?: number;
}

export async function startServer(o: StartOptions): Promise<Server> {
  const log = createWriteStream(path.join(o.logDir, `${o.name}.log`));
  const child = spawn(o.cmd, o.args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const command = shellLine(o.cmd, o.args, o.env);
  let stdout = '';
  let exited: string | undefined;
  child.stdout!.on('data', (c: Buffer) => {
    log.write(c);
    if (o.waitForJson && stdout.length < 1_000_000) stdout += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => log.write(c));
  child.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));

  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  let info: Record<string, unknown> | undefined;
  for (;;) {
    if (exited) throw new Error(`${o.name} ${exited} during start-up (see ${path.join(o.logDir, `${o.name}.log`)}); command: ${command}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${o.name} did not become ready in time; command: ${command}`);
    }
    if (o.waitForJson) {
      const start = stdout.indexOf('{');
      if (start >= 0) {
        try {
          info = JSON.parse(stdout.slice(start)) as Record<string, unknown>;
          break;
        } catch {
          /* not complete yet */
        }
      }
    } else if (o.waitForPort) {
      if (await portOpen(o.waitForPort)) break;
    } else break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: o.name,
    pid: child.pid!,
    child,
    command,
    info,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(force);
          log.end();
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** A TCP port nobody listens on right now (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}
