/**
 * Audit trail write throughput on SQLite and PostgreSQL: how many entries per second the trail
 * stores, fire-and-forget (`record`) and acknowledged (`recordDurable`, what the data plane awaits
 * before answering "accepted, queued"), next to a baseline of one transaction per entry (batching
 * off) in the same run. Also times `verifyChain` over what was written.
 *
 *   npx tsc -p . && node dist/bench/audit-throughput.js [--store sqlite|postgres|both]
 *       [--entries 20000] [--concurrency 64] [--database-url postgres://postgres@127.0.0.1:5432/test]
 *
 * Every run uses a fresh temporary SQLite file / PostgreSQL schema and removes it afterwards.
 * Events look like a real exchange (ids, two tracking ids, one personal id, 2 KB request body
 * digested, metadata retention). Figures depend on the disk and on what else runs: compare the
 * rows of one run with each other rather than runs on different machines.
 */
import { Command } from 'commander';
import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import pg from 'pg';
import { loadConfig } from '../config/config.js';
import { openStore, type Store } from '../core/store/db.js';
import { quietLogger } from '../core/log.js';
import { createAuditTrail } from '../gateway/audit/trail.js';
import { verifyChain } from '../gateway/audit/verify.js';
import { certFingerprint, type AuditSigningIdentity } from '../gateway/audit/chain.js';
import type { AuditEvent } from '../core/audit-sink.js';

function throwawayIdentity(): AuditSigningIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: 'bench audit' }]);
  cert.setIssuer([{ name: 'commonName', value: 'bench audit' }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string), forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { alg: 'RS256', certDerBase64: der.toString('base64'), privateKey: createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })) };
}

const body = randomBytes(1500).toString('base64');

function event(i: number): AuditEvent {
  return {
    kind: 'exchange',
    requestId: `r-${i}`,
    trackingIds: [`t-${i}-1`, `t-${i}-2`],
    certSubject: 'CN=phan-mem-nhan-su,O=Vendor A',
    certSerial: '1A2B3C',
    keyId: 'k-bench',
    softwareId: 'sw-bench',
    unitCode: '000.00.00.H01',
    front: 'vendor-a-asmx',
    operation: 'DongBoHoSo',
    personalIds: [`0010900${String(i % 100000).padStart(5, '0')}`],
    outcome: 'queued',
    latencyMs: 12,
    requestBody: body,
    responseBody: '<KetQua>OK</KetQua>',
  };
}

interface Row {
  store: string;
  mode: string;
  entries: number;
  seconds: number;
  perSecond: number;
  ackP50Ms?: number;
  ackP99Ms?: number;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] : 0;
}

async function withStore<T>(kind: 'sqlite' | 'postgres', databaseUrl: string, fn: (store: Store, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-bench-audit-'));
  const schema = `bench_audit_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    env: {},
    overrides: { dataDir, databaseUrl: kind === 'postgres' ? databaseUrl : undefined, databaseSchema: kind === 'postgres' ? schema : undefined, masterKey: 'b'.repeat(32) },
  });
  const store = await openStore(config);
  try {
    return await fn(store, config);
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (kind === 'postgres') {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
}

async function run(kind: 'sqlite' | 'postgres', opts: { entries: number; concurrency: number; databaseUrl: string }, identity: AuditSigningIdentity): Promise<Row[]> {
  const rows: Row[] = [];
  const log = quietLogger();
  await withStore(kind, opts.databaseUrl, async (store, config) => {
    const trail = await createAuditTrail({ store, config, log, nodeName: 'bench', signingIdentity: async () => identity });

    // 1. record(): fire-and-forget, then flush.
    let t0 = performance.now();
    for (let i = 0; i < opts.entries; i++) {
      trail.record(event(i));
      if (i % 2000 === 1999) await new Promise((r) => setImmediate(r)); // let batches go out as a server would
    }
    await trail.flush();
    let s = (performance.now() - t0) / 1000;
    rows.push({ store: kind, mode: 'record (batched)', entries: opts.entries, seconds: s, perSecond: opts.entries / s });

    // 2. recordDurable(): `concurrency` callers, each awaiting its own acknowledgement.
    const acks: number[] = [];
    let next = 0;
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < opts.entries) {
          const i = next++;
          const a = performance.now();
          await trail.recordDurable(event(i));
          acks.push(performance.now() - a);
        }
      }),
    );
    s = (performance.now() - t0) / 1000;
    acks.sort((a, b) => a - b);
    rows.push({ store: kind, mode: `recordDurable x${opts.concurrency}`, entries: opts.entries, seconds: s, perSecond: opts.entries / s, ackP50Ms: pct(acks, 50), ackP99Ms: pct(acks, 99) });
    await trail.close();

    // 3. Baseline: one transaction per entry (batching off), sequential durable writes.
    const single = await createAuditTrail({ store, config, log, nodeName: 'bench', signingIdentity: async () => identity, maxBatch: 1 });
    const n = Math.max(200, Math.floor(opts.entries / 10));
    const lat: number[] = [];
    t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const a = performance.now();
      await single.recordDurable(event(i));
      lat.push(performance.now() - a);
    }
    s = (performance.now() - t0) / 1000;
    lat.sort((a, b) => a - b);
    rows.push({ store: kind, mode: 'baseline: 1 entry/transaction', entries: n, seconds: s, perSecond: n / s, ackP50Ms: pct(lat, 50), ackP99Ms: pct(lat, 99) });
    await single.close();

    // 4. Verification speed over everything written.
    t0 = performance.now();
    const v = await verifyChain(store, { trust: { fingerprints: [certFingerprint(identity.certDerBase64)] } });
    s = (performance.now() - t0) / 1000;
    rows.push({ store: kind, mode: `verifyChain (${v.ok ? 'ok' : `FAILED: ${v.problem?.message}`})`, entries: v.entries, seconds: s, perSecond: v.entries / s });
  });
  return rows;
}

async function main(): Promise<void> {
  const program = new Command('audit-throughput')
    .option('--store <kind>', 'sqlite | postgres | both', 'both')
    .option('--entries <n>', 'entries per mode', '20000')
    .option('--concurrency <n>', 'concurrent recordDurable callers', '64')
    .option('--database-url <url>', 'PostgreSQL', process.env.NDXP_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
    .option('--json', 'one JSON document')
    .parse(process.argv);
  const o = program.opts();
  const kinds = o.store === 'both' ? (['sqlite', 'postgres'] as const) : ([o.store] as ('sqlite' | 'postgres')[]);
  const identity = throwawayIdentity();
  const rows: Row[] = [];
  for (const kind of kinds) rows.push(...(await run(kind, { entries: Number(o.entries), concurrency: Number(o.concurrency), databaseUrl: o.databaseUrl }, identity)));
  if (o.json) {
    process.stdout.write(JSON.stringify({ node: process.version, cpus: os.cpus().length, rows }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`node ${process.version}, ${os.cpus().length} CPU\n`);
  process.stdout.write('store      mode                              entries   seconds   entries/s   ack p50 ms  ack p99 ms\n');
  for (const r of rows) {
    process.stdout.write(
      `${r.store.padEnd(10)} ${r.mode.padEnd(33)} ${String(r.entries).padStart(7)} ${r.seconds.toFixed(2).padStart(9)} ${Math.round(r.perSecond).toString().padStart(11)} ${(r.ackP50Ms?.toFixed(1) ?? '').padStart(11)} ${(r.ackP99Ms?.toFixed(1) ?? '').padStart(11)}\n`,
    );
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
