/**
 * `ndxp backup create` / `ndxp backup restore` on both stores (issue 10): a backup taken while
 * the gateway runs, restored onto a fresh data directory (SQLite) or a fresh schema (PostgreSQL);
 * the restored gateway serves the same clients — a real mTLS call with a client certificate and
 * connection key issued before the backup — and verifies the same audit chain. The file is
 * sealed with a passphrase that never appears on the command line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, onCleanup, STORE_KINDS, tempDir, testConfig, testContext } from './helpers/env.js';
import { startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { ndxp } from './helpers/cli.js';
import { startGatewayNode } from '../gateway/runtime.js';
import { verifyChain } from '../gateway/audit/verify.js';
import { openStore } from '../core/store/db.js';
import type { Config } from '../config/config.js';

afterAll(cleanup);

function configFileFor(c: Config): string {
  const file = path.join(tempDir(), 'ndxp.json');
  writeFileSync(file, JSON.stringify({ dataDir: c.dataDir, databaseUrl: c.databaseUrl, databaseSchema: c.databaseSchema, redisUrl: c.redisUrl, redisPrefix: c.redisPrefix }));
  return file;
}

describe.each(STORE_KINDS)('backup and restore (%s)', (kind) => {
  let h: Harness;
  let client: LegacyClient;
  let sourceConfig: string;
  let passFile: string;
  let backupFile: string;
  let target: Config;
  let targetConfig: string;
  let lastSeqAtBackup: number;

  beforeAll(async () => {
    h = await startHarness({ store: kind });
    client = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
    // Some traffic, so the trail and the key's last use are not empty.
    expect((await client.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': client.connectionKey } })).status).toBe(200);
    await h.ctx.audit.flush();
    sourceConfig = configFileFor(h.ctx.config);
    passFile = path.join(tempDir(), 'passphrase');
    writeFileSync(passFile, 'mật khẩu sao lưu đủ dài 2026\n', { mode: 0o600 });
    backupFile = path.join(tempDir(), 'ndxp.backup');
    target = testConfig(kind);
    targetConfig = configFileFor(target);
  }, 180_000);

  it('creates an encrypted backup while the gateway runs; no passphrase, no backup', async () => {
    const without = await ndxp(['backup', 'create', '--out', backupFile, '--config', sourceConfig]);
    expect(without.code).toBe(1);
    expect(without.error).toMatchObject({ code: 'THIEU_MAT_KHAU_SAO_LUU' });

    const r = await ndxp(['backup', 'create', '--out', backupFile, '--passphrase-file', passFile, '--json', '--config', sourceConfig]);
    expect(r.code, String(r.error)).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.masterKey).toBe('file');
    for (const t of ['connection_keys', 'certificates', 'trust_anchors', 'pki_identities', 'units', 'unit_remap_rules', 'settings', 'outbox', 'audit_entries', 'audit_checkpoints']) expect(doc.rows).toHaveProperty(t);
    expect(doc.rows.connection_keys).toBeGreaterThanOrEqual(1);
    expect(doc.rows.audit_entries).toBeGreaterThan(0);
    lastSeqAtBackup = (await verifyChain(h.ctx.store)).headSeq;
    const bytes = readFileSync(backupFile);
    expect(bytes.subarray(0, 14).toString()).toBe('NDXP-BACKUP 1\n');
    // Sealed: neither the connection key's id nor a private key is readable in the file.
    expect(bytes.includes(Buffer.from(client.keyId))).toBe(false);
    expect(bytes.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
  });

  it('refuses a wrong passphrase', async () => {
    const wrong = path.join(tempDir(), 'wrong');
    writeFileSync(wrong, 'không phải mật khẩu này');
    const r = await ndxp(['backup', 'restore', backupFile, '--passphrase-file', wrong, '--config', targetConfig]);
    expect(r.code).toBe(1);
    expect(r.error).toMatchObject({ code: 'SAO_LUU_SAI_MAT_KHAU' });
  });

  it('refuses to restore over a store in use', async () => {
    const r = await ndxp(['backup', 'restore', backupFile, '--passphrase-file', passFile, '--config', sourceConfig]);
    expect(r.code).toBe(1);
    expect(r.error).toMatchObject({ code: 'KHO_DU_LIEU_KHONG_TRONG' });
  });

  it('restores onto a fresh store: the restored gateway serves a client issued before the backup and verifies the same audit chain', async () => {
    const r = await ndxp(['backup', 'restore', backupFile, '--passphrase-file', passFile, '--json', '--config', targetConfig]);
    expect(r.code, String(r.error)).toBe(0);

    const store = await openStore(target);
    onCleanup(() => store.close());
    const chain = await verifyChain(store);
    expect(chain.ok, JSON.stringify(chain.problem)).toBe(true);
    // The restored trail carries every entry of the backup, plus the restore's own record.
    expect(chain.headSeq).toBeGreaterThan(lastSeqAtBackup);
    const hashAt = async (db: typeof store.db) => (await db.selectFrom('audit_entries').select('hash').where('seq', '=', lastSeqAtBackup).executeTakeFirstOrThrow()).hash;
    expect(await hashAt(store.db)).toBe(await hashAt(h.ctx.store.db));

    const ctx = await testContext(kind, { ...target, centralUrl: h.sim.url });
    const node = await startGatewayNode(ctx, { dataPlane: true, adminPlane: false, delivery: true });
    onCleanup(() => node.close());
    const res = await client.request(`https://127.0.0.1:${node.dataPlane!.port}/api/v1/whoami`, { headers: { 'x-connection-key': client.connectionKey } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json())).toContain(client.keyId);
  }, 180_000);
});
