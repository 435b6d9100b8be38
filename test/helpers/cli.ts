/**
 * Runs `ndxp …` in this process (the real program and failure report from gateway/cli/main.ts),
 * capturing stdout and stderr, with the exit code main() gives; and a config file pointing at a test's store.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';
import { run } from '../../gateway/cli/main.js';
import { tempDir, testConfig, type StoreKind } from './env.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  error?: unknown;
}

export async function ndxp(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    // The real program and its real failure report (stderr line, --json document, exit code).
    const { code, error } = await run(['node', 'ndxp', ...args]);
    return { code, stdout, stderr, error };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A JSON configuration file for `--config` that points at a fresh store of this kind. */
export function configFile(kind: StoreKind): string {
  const config = testConfig(kind);
  const file = path.join(tempDir(), 'ndxp.json');
  writeFileSync(file, JSON.stringify({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, databaseSchema: config.databaseSchema, redisUrl: config.redisUrl }));
  return file;
}
