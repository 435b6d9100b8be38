/**
 * Operators' view of lockouts: the admin API module (roles, listing, lifting, 404/400) and the
 * `ndxp keys lockouts` / `ndxp keys unlock` / `ndxp ratelimit status` verbs, on real Redis.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import express from 'express';
import request from 'supertest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { createRateLimiter } from '../gateway/ratelimit/index.js';
import { rateLimitAdminModule } from '../gateway/ratelimit/admin.js';
import { register, registerLockoutCommands } from '../gateway/ratelimit/cli.js';
import { cliHost } from '../gateway/cli/verbs.js';
import { cleanup, tempDir } from './helpers/env.js';
import { dropRedisKeys, limiterContext } from './ratelimit-helpers.js';

const prefixes: string[] = [];
afterAll(async () => {
  await dropRedisKeys(prefixes);
  await cleanup();
});

describe('admin API: lockouts', () => {
  it('lists for both roles, lifts for network-admins only, and answers 404/400', async () => {
    const ctx = limiterContext({ lockoutThreshold: 1, lockoutBaseSeconds: 120 });
    prefixes.push(ctx.config.redisPrefix);
    const limiter = createRateLimiter(ctx); // the data plane's limiter: the module must use this one
    try {
      expect(await limiter.ready(5000)).toBe(true);
      await limiter.noteInvalidKey({ certSerial: 'C0FFEE', remoteAddress: '10.9.9.9' });
      const app = express();
      app.use((req, res, next) => {
        const role = req.header('x-test-role');
        if (role) res.locals.admin = { actor: `CN=test.${role}`, role, certSerial: '01' };
        next();
      });
      app.use('/api/v1/admin', rateLimitAdminModule.router(ctx));

      const asAuditor = await request(app).get('/api/v1/admin/lockouts').set('x-test-role', 'auditor');
      expect(asAuditor.status).toBe(200);
      expect(asAuditor.body.lockouts).toEqual([expect.objectContaining({ id: 'cert:C0FFEE', kind: 'cert', level: 1, durationSeconds: 120, source: 'redis' })]);

      const denied = await request(app).delete('/api/v1/admin/lockouts/cert%3AC0FFEE').set('x-test-role', 'auditor');
      expect(denied.status).toBe(403);
      expect(denied.body.code).toBe('KHONG_DUOC_PHEP');

      const bad = await request(app).delete('/api/v1/admin/lockouts/C0FFEE').set('x-test-role', 'network-admin');
      expect(bad.status).toBe(400);

      const lifted = await request(app).delete('/api/v1/admin/lockouts/cert%3AC0FFEE').set('x-test-role', 'network-admin');
      expect(lifted.status).toBe(200);
      expect(lifted.body.lifted).toMatchObject({ id: 'cert:C0FFEE' });
      await limiter.assertNotLockedOut({ certSerial: 'C0FFEE' });
      expect(ctx.events).toContainEqual(expect.objectContaining({ kind: 'admin', operation: 'keys.unlock', actor: 'CN=test.network-admin', target: 'cert:C0FFEE', outcome: 'ok' }));

      const again = await request(app).delete('/api/v1/admin/lockouts/cert%3AC0FFEE').set('x-test-role', 'network-admin');
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('KHONG_TIM_THAY_TAM_KHOA');

      const status = await request(app).get('/api/v1/admin/rate-limits').set('x-test-role', 'auditor');
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({ settings: { lockoutThreshold: 1 }, stats: { invalidKeys: 1, redisConnected: true } });
      expect(Object.keys(rateLimitAdminModule.openapi)).toEqual(['/api/v1/admin/lockouts', '/api/v1/admin/lockouts/{id}', '/api/v1/admin/rate-limits']);
    } finally {
      await limiter.close();
    }
  });
});

describe('CLI: keys lockouts / keys unlock / ratelimit status', () => {
  async function run(configFile: string, ...args: string[]): Promise<{ out: string; error?: Error }> {
    const program = new Command('ndxp').exitOverride();
    const keys = program.command('keys');
    registerLockoutCommands(keys, cliHost);
    register(program, cliHost);
    for (const c of [...keys.commands, ...program.commands.flatMap((c) => c.commands)]) {
      if (!c.options.some((o) => o.long === '--config')) c.option('--config <file>');
      c.exitOverride();
    }
    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await program.parseAsync(['node', 'ndxp', ...args, '--config', configFile]);
      return { out };
    } catch (error) {
      return { out, error: error as Error };
    } finally {
      spy.mockRestore();
    }
  }

  it('lists, lifts and reports as one JSON document each', async () => {
    const ctx = limiterContext({ lockoutThreshold: 1, lockoutBaseSeconds: 60 });
    prefixes.push(ctx.config.redisPrefix);
    const configFile = path.join(tempDir(), 'config.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: tempDir(), redisUrl: ctx.config.redisUrl, redisPrefix: ctx.config.redisPrefix, rateLimit: ctx.config.rateLimit }));
    const gateway = createRateLimiter(ctx);
    try {
      expect(await gateway.ready(5000)).toBe(true);
      await gateway.noteInvalidKey({ remoteAddress: '203.0.113.5' });

      const listed = await run(configFile, 'keys', 'lockouts', '--json');
      expect(listed.error).toBeUndefined();
      expect(JSON.parse(listed.out).lockouts).toEqual([expect.objectContaining({ id: 'addr:203.0.113.5', level: 1 })]);

      const text = await run(configFile, 'keys', 'lockouts');
      expect(text.out).toContain('addr:203.0.113.5');

      const unlocked = await run(configFile, 'keys', 'unlock', 'addr:203.0.113.5', '--json');
      expect(unlocked.error).toBeUndefined();
      expect(JSON.parse(unlocked.out).lifted).toMatchObject({ id: 'addr:203.0.113.5' });
      await gateway.assertNotLockedOut({ remoteAddress: '203.0.113.5' });

      const missing = await run(configFile, 'keys', 'unlock', 'addr:203.0.113.5', '--json');
      expect(missing.error).toMatchObject({ name: 'CliFailure', code: 'KHONG_TIM_THAY_TAM_KHOA' });
      const usage = await run(configFile, 'keys', 'unlock', '203.0.113.5');
      expect(usage.error).toMatchObject({ name: 'UsageError' });

      const status = await run(configFile, 'ratelimit', 'status', '--json');
      expect(JSON.parse(status.out)).toMatchObject({ redisConnected: true, activeLockouts: 0, settings: { lockoutThreshold: 1 } });
    } finally {
      await gateway.close();
    }
  });

  it('fails clearly when Redis is unreachable', async () => {
    const configFile = path.join(tempDir(), 'config.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: tempDir(), redisUrl: 'redis://127.0.0.1:1' }));
    const listed = await run(configFile, 'keys', 'lockouts', '--json');
    expect(listed.error).toMatchObject({ name: 'CliFailure', code: 'REDIS_KHONG_KET_NOI' });
  });
});
