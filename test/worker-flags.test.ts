import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { workerExecArgv } from '../gateway/cli/worker-flags.js';
import { cleanup, testConfig } from './helpers/env.js';
import { gatewayEnv, startGatewayProcess } from './helpers/processes.js';

afterAll(cleanup);

/** Command lines of the live children of `pid` (from /proc). */
function childCommandLines(pid: number): string[][] {
  const out: string[][] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      out.push(readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

const memory = (youngGenerationMiB: number, heapMiB: number) => ({ workerMemory: { youngGenerationMiB, heapMiB } });

describe('the Node flags ndxp start gives its data-plane workers', () => {
  it('adds the configured heap sizes after the primary\'s own flags', () => {
    expect(workerExecArgv(memory(4, 256), ['--enable-source-maps'], '')).toEqual(['--enable-source-maps', '--max-semi-space-size=4', '--max-old-space-size=256']);
  });

  it('adds nothing for 0 (V8 decides)', () => {
    expect(workerExecArgv(memory(0, 0), [], '')).toEqual([]);
    expect(workerExecArgv(memory(0, 192), [], '')).toEqual(['--max-old-space-size=192']);
  });

  it('leaves a flag alone that the operator already gave, in NODE_OPTIONS or on the command line, in either spelling', () => {
    expect(workerExecArgv(memory(4, 256), [], '--max_old_space_size=1024 --trace-warnings')).toEqual(['--max-semi-space-size=4']);
    expect(workerExecArgv(memory(4, 256), ['--max-semi-space-size=16'], '')).toEqual(['--max-semi-space-size=16', '--max-old-space-size=256']);
  });
});

describe('ndxp start (built program) with two workers', () => {
  it('forks its workers with the configured heap sizes; the primary keeps its own command line', async () => {
    const config = testConfig('sqlite', { redisUrl: undefined });
    const gw = await startGatewayProcess(gatewayEnv(config, { NDXP_WORKERS: '2', NDXP_WORKER_YOUNG_MIB: '4', NDXP_WORKER_HEAP_MIB: '300' }), 120_000);
    try {
      const workers = childCommandLines(gw.child.pid!).filter((argv) => argv.includes('start'));
      expect(workers).toHaveLength(2);
      for (const argv of workers) {
        expect(argv).toContain('--max-semi-space-size=4');
        expect(argv).toContain('--max-old-space-size=300');
      }
      expect(readFileSync(`/proc/${gw.child.pid}/cmdline`, 'utf8')).not.toContain('--max-old-space-size');
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  }, 180_000);
});
