/**
 * Test environment: every test file gets its own temporary data directory, its own SQLite file
 * or PostgreSQL schema, and its own Redis key prefix, so files run in parallel without sharing
 * state. PostgreSQL and Redis are the real local servers (.ci/run makes sure they are up).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config, type ConfigInput } from '../../config/config.js';
import { openStore, type Store } from '../../core/store/db.js';
import { openContext, closeContext } from '../../gateway/context.js';
import { type AppContext } from '../../core/context.js';
import { quietLogger } from '../../core/log.js';

export const PG_URL = process.env.NDXP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.NDXP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SHARED = path.resolve(import.meta.dirname, '../../../shared');
export const CONTRACTS = path.join(SHARED, 'contracts');
export const REPO = path.resolve(import.meta.dirname, '../..');

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];

const cleanups: (() => Promise<void> | void)[] = [];

export function uniqueName(prefix = 't'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export function tempDir(prefix = 'ndxp-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A configuration for one test: own data dir, own store (SQLite or a fresh PG schema), own Redis prefix, ephemeral ports. */
export function testConfig(kind: StoreKind = 'sqlite', overrides: ConfigInput = {}): Config {
  const schema = kind === 'postgres' ? uniqueName('ndxp') : undefined;
  if (schema) cleanups.push(() => dropSchema(schema));
  return loadConfig({
    env: {},
    overrides: {
      dataDir: tempDir(),
      listen: '127.0.0.1:0',
      adminListen: '127.0.0.1:0',
      centralListen: '127.0.0.1:0',
      redisUrl: REDIS_URL,
      redisPrefix: uniqueName('ndxp-test'),
      databaseUrl: kind === 'postgres' ? PG_URL : undefined,
      databaseSchema: schema,
      workers: 1,
      ...overrides,
    },
  });
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } catch {
    /* best effort */
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function testStore(kind: StoreKind = 'sqlite', config = testConfig(kind)): Promise<Store> {
  const store = await openStore(config);
  cleanups.push(() => store.close());
  return store;
}

export async function testContext(kind: StoreKind = 'sqlite', config = testConfig(kind)): Promise<AppContext> {
  const ctx = await openContext(config, { log: quietLogger() });
  cleanups.push(() => closeContext(ctx));
  return ctx;
}

/** Call from afterAll: closes stores, drops PG schemas, removes temp dirs (in reverse order). */
export async function cleanup(): Promise<void> {
  while (cleanups.length) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch {
      /* keep cleaning */
    }
  }
}

export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}
