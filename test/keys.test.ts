/**
 * Connection key administration on both stores: lifecycle, audit records, the secret never
 * reaching the store, rotation grace, cancellation being final, and the Ministry import.
 */
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, PG_URL, cleanup, tempDir, testContext, type StoreKind } from './helpers/env.js';
import type { AppContext } from '../core/context.js';
import type { AuditEvent } from '../core/audit-sink.js';
import {
  activateKey,
  cancelKey,
  createKey,
  importKeys,
  KeyServiceError,
  listKeys,
  rotateKey,
  showKey,
  suspendKey,
} from '../gateway/keys/service.js';
import { createKeyValidator } from '../gateway/keys/validator.js';
import { operationsOf } from '../adapters/registry.js';
import { readRevisions } from '../core/store/revisions.js';
import { GatewayError } from '../core/errors.js';

afterAll(cleanup);

/** A context whose audit sink also keeps every event in memory for assertions. */
async function auditedContext(kind: StoreKind): Promise<{ ctx: AppContext; events: AuditEvent[] }> {
  const ctx = await testContext(kind);
  const events: AuditEvent[] = [];
  const real = ctx.audit;
  ctx.audit = {
    record: (e) => {
      events.push(e);
      real.record(e);
    },
    recordDurable: (e) => {
      events.push(e);
      return real.recordDurable(e);
    },
    flush: () => real.flush(),
    close: () => real.close(),
  };
  return { ctx, events };
}

const base = { softwareId: 'QLCB-A-HN', unitCode: '000.00.00.H26', vendor: 'vendor-a-asmx' };

/** Everything the store holds, as text: SQLite file + WAL, or every row of every table in the PG schema. */
async function storeDump(ctx: AppContext): Promise<string> {
  await ctx.audit.flush();
  if (ctx.store.dialect === 'sqlite') {
    const file = path.join(ctx.config.dataDir, 'ndxp.sqlite');
    return [file, `${file}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('\n');
  }
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const schema = ctx.config.databaseSchema!;
    const tables = await client.query<{ table_name: string }>('select table_name from information_schema.tables where table_schema = $1', [schema]);
    let out = '';
    for (const { table_name } of tables.rows) {
      const rows = await client.query(`select t::text as row from ${schema}."${table_name}" t`);
      out += rows.rows.map((r: { row: string }) => r.row).join('\n');
    }
    return out;
  } finally {
    await client.end();
  }
}

function expectRefused(fn: () => unknown, reason: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('KHOA_KET_NOI_KHONG_HOP_LE');
    expect((err as GatewayError).internalReason).toBe(reason);
    return;
  }
  throw new Error(`expected a refusal (${reason})`);
}

describe.each(STORE_KINDS)('connection keys on %s', (kind) => {
  it('goes through its lifecycle, bumps the keys revision and audits every step without the secret', async () => {
    const { ctx, events } = await auditedContext(kind);
    const rev0 = (await readRevisions(ctx.store.db)).get('keys') ?? 0;
    const created = await createKey(
      ctx,
      {
        ...base,
        encoding: 'tcvn3',
        operations: 'submitProfiles,status',
        certSerial: '0a:1b:2c',
        expires: '2030-12-31',
        contactName: 'Nguyễn Văn Đức',
        contactAgency: 'Sở Nội vụ Hà Nội',
        contactPhone: '+84 24 3825 1234',
        contactEmail: 'duc.nv@hanoi.gov.vn',
        bodyRetention: 'full',
        limits: '{"requestsPerSecond":5}',
      },
      'admin:test',
    );
    expect(created.keyId).toMatch(/^KN[A-Z2-7]{12}$/);
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.connectionKey).toBe(`${created.keyId}.${created.secret}`);
    expect(created).toMatchObject({
      status: 'active',
      encoding: 'tcvn3',
      operations: ['submitProfiles', 'status'],
      certSerial: 'A1B2C',
      expiresAt: '2030-12-31T17:00:00.000Z', // through 31/12/2030, Vietnam time
      contact: { name: 'Nguyễn Văn Đức', agency: 'Sở Nội vụ Hà Nội' },
      bodyRetention: 'full',
      limits: { requestsPerSecond: 5 },
      source: 'local',
    });
    expect((await readRevisions(ctx.store.db)).get('keys')).toBe(rev0 + 1);

    const shown = await showKey(ctx, created.keyId);
    expect(shown).not.toHaveProperty('secret');
    expect(JSON.stringify(shown)).not.toContain(created.secret);

    const other = await createKey(ctx, { ...base, unitCode: '000.00.00.H03', vendor: 'json' }, 'admin:test');
    // No list given: every operation of the vendor, resolved when read (so later ones apply too).
    expect(other).toMatchObject({ operations: [...operationsOf('json')!], allOperations: true });
    expect(created.allOperations).toBe(false);
    expect((await listKeys(ctx, { unit: '000.00.00.H26' })).map((k) => k.keyId)).toEqual([created.keyId]);

    const suspended = await suspendKey(ctx, created.keyId, 'Phần mềm đang nâng cấp', 'admin:test');
    expect(suspended).toMatchObject({ status: 'suspended', statusReason: 'Phần mềm đang nâng cấp', changed: true });
    expect((await listKeys(ctx, { status: 'suspended' })).map((k) => k.keyId)).toEqual([created.keyId]);
    expect((await suspendKey(ctx, created.keyId, undefined, 'admin:test')).changed).toBe(false);
    expect(await activateKey(ctx, created.keyId, 'admin:test')).toMatchObject({ status: 'active', statusReason: null, changed: true });
    const cancelled = await cancelKey(ctx, created.keyId, 'Phần mềm ngừng sử dụng', 'admin:test');
    expect(cancelled).toMatchObject({ status: 'cancelled', changed: true });
    expect(cancelled.cancelledAt).not.toBeNull();

    await expect(showKey(ctx, 'KNDOESNOTEXIST')).rejects.toMatchObject({ code: 'KHOA_KHONG_TON_TAI', status: 404 });
    await expect(createKey(ctx, { ...base, vendor: 'vendor-z' }, 'admin:test')).rejects.toMatchObject({ code: 'THAM_SO_KHONG_HOP_LE' });
    await expect(createKey(ctx, { ...base, vendor: 'vendor-c-xmlpost', operations: 'upsertUnit' }, 'admin:test')).rejects.toBeInstanceOf(KeyServiceError);
    await expect(createKey(ctx, { ...base, expires: '2030-02-31' }, 'admin:test')).rejects.toMatchObject({ code: 'THAM_SO_KHONG_HOP_LE' });

    const ops = events.map((e) => `${e.operation}:${e.outcome}`);
    expect(ops).toEqual([
      'keys.create:ok',
      'keys.create:ok',
      'keys.suspend:ok',
      'keys.suspend:ok',
      'keys.activate:ok',
      'keys.cancel:ok',
      'keys.create:refused',
      'keys.create:refused',
      'keys.create:refused',
    ]);
    expect(events.every((e) => e.kind === 'admin' && e.actor === 'admin:test')).toBe(true);
    expect(events.find((e) => e.operation === 'keys.suspend')).toMatchObject({ target: created.keyId, unitCode: '000.00.00.H26', details: { reason: 'Phần mềm đang nâng cấp' } });
    const audited = JSON.stringify(events);
    expect(audited).not.toContain(created.secret);
    expect(audited).not.toContain(other.secret);
  });

  it('never keeps the secret (nor its plain SHA-256) in the store', async () => {
    const { ctx } = await auditedContext(kind);
    const created = await createKey(ctx, base, 'admin:test');
    const rotated = await rotateKey(ctx, created.keyId, '1h', 'admin:test');
    const dump = await storeDump(ctx);
    expect(dump).toContain(created.keyId); // the dump really covers the keys table
    for (const secret of [created.secret, rotated.secret]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(createHash('sha256').update(secret).digest('hex'));
      expect(dump).not.toContain(createHash('sha256').update(secret).digest('base64url'));
    }
  });

  it('rotation: the old secret works during the grace period, then stops; rotating again ends the older one', async () => {
    const { ctx } = await auditedContext(kind);
    let clock = Date.now();
    const validator = await createKeyValidator(ctx, { now: () => clock });
    try {
      const created = await createKey(ctx, base, 'admin:test');
      const rotated = await rotateKey(ctx, created.keyId, '2h', 'admin:test');
      expect(rotated.secret).not.toBe(created.secret);
      expect(rotated.graceMs).toBe(2 * 3_600_000);
      expect(Date.parse(rotated.previousSecretValidUntil!)).toBeGreaterThan(Date.now() + 3_600_000);
      await validator.refresh();
      const call = { front: 'vendor-a-asmx', operation: 'submitProfiles' } as const;
      expect(validator.validate({ key: created.connectionKey }, undefined, call).keyId).toBe(created.keyId);
      expect(validator.validate({ key: rotated.connectionKey }, undefined, call).keyId).toBe(created.keyId);
      clock += 2 * 3_600_000 + 1000; // grace over
      expectRefused(() => validator.validate({ key: created.connectionKey }, undefined, call), 'bad_secret');
      expect(validator.validate({ key: rotated.connectionKey }, undefined, call).keyId).toBe(created.keyId);
      clock = Date.now();

      // Default grace comes from configuration; a second rotation drops the first secret at once.
      const again = await rotateKey(ctx, created.keyId, undefined, 'admin:test');
      expect(again.graceMs).toBe(ctx.config.keys.defaultRotationGraceHours * 3_600_000);
      await validator.refresh();
      expectRefused(() => validator.validate({ key: created.connectionKey }, undefined, call), 'bad_secret');
      expect(validator.validate({ key: rotated.connectionKey }, undefined, call).keyId).toBe(created.keyId);
      expect(validator.validate({ key: again.connectionKey }, undefined, call).keyId).toBe(created.keyId);

      // Grace 0: the old secret stops immediately.
      const hard = await rotateKey(ctx, created.keyId, '0', 'admin:test');
      expect(hard.previousSecretValidUntil).toBeNull();
      await validator.refresh();
      expectRefused(() => validator.validate({ key: again.connectionKey }, undefined, call), 'bad_secret');
      expect(validator.validate({ key: hard.connectionKey }, undefined, call).keyId).toBe(created.keyId);

      await expect(rotateKey(ctx, created.keyId, 'soon', 'admin:test')).rejects.toMatchObject({ code: 'THAM_SO_KHONG_HOP_LE' });
    } finally {
      await validator.stop();
    }
  });

  it('rotation with a real short grace: the old secret stops once it ends', async () => {
    const { ctx } = await auditedContext(kind);
    const validator = await createKeyValidator(ctx);
    try {
      const created = await createKey(ctx, base, 'admin:test');
      const rotated = await rotateKey(ctx, created.keyId, '300ms', 'admin:test');
      await validator.refresh();
      const until = Date.parse(rotated.previousSecretValidUntil!);
      const call = { front: 'vendor-a-asmx' } as const;
      if (Date.now() < until) expect(validator.validate({ key: created.connectionKey }, undefined, call).keyId).toBe(created.keyId);
      const deadline = Date.now() + 5000;
      let reason: string | undefined;
      while (Date.now() < deadline) {
        try {
          validator.validate({ key: created.connectionKey }, undefined, call);
        } catch (err) {
          reason = (err as GatewayError).internalReason;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(reason).toBe('bad_secret');
      expect(Date.now()).toBeGreaterThanOrEqual(until);
      expect(validator.validate({ key: rotated.connectionKey }, undefined, call).keyId).toBe(created.keyId);
    } finally {
      await validator.stop();
    }
  });

  it('cancellation is final: activate, suspend and rotate are refused (and audited as refused)', async () => {
    const { ctx, events } = await auditedContext(kind);
    const validator = await createKeyValidator(ctx);
    try {
      const created = await createKey(ctx, base, 'admin:test');
      await cancelKey(ctx, created.keyId, 'Bộ Nội vụ thu hồi', 'admin:test');
      expect((await cancelKey(ctx, created.keyId, undefined, 'admin:test')).changed).toBe(false);
      await expect(activateKey(ctx, created.keyId, 'admin:test')).rejects.toMatchObject({ code: 'KHOA_DA_HUY', status: 409 });
      await expect(suspendKey(ctx, created.keyId, undefined, 'admin:test')).rejects.toMatchObject({ code: 'KHOA_DA_HUY' });
      await expect(rotateKey(ctx, created.keyId, '1h', 'admin:test')).rejects.toMatchObject({ code: 'KHOA_DA_HUY' });
      expect((await showKey(ctx, created.keyId)).status).toBe('cancelled');
      await validator.refresh();
      expectRefused(() => validator.validate({ key: created.connectionKey }, undefined, {}), 'cancelled');
      expect(events.filter((e) => e.outcome === 'refused').map((e) => [e.operation, e.code, e.target])).toEqual([
        ['keys.activate', 'KHOA_DA_HUY', created.keyId],
        ['keys.suspend', 'KHOA_DA_HUY', created.keyId],
        ['keys.rotate', 'KHOA_DA_HUY', created.keyId],
      ]);
    } finally {
      await validator.stop();
    }
  });

  it('imports the Ministry list idempotently, with a report naming each bad row', async () => {
    const { ctx, events } = await auditedContext(kind);
    const validator = await createKeyValidator(ctx);
    try {
      const local = await createKey(ctx, { ...base, softwareId: 'QLCB-OLD' }, 'admin:test');
      const importedSecret = 'Bo-Noi-vu-cap-ma-ket-noi-0001';
      const hashedSecret = 'secret-known-only-to-the-ministry-42';
      const dir = tempDir();
      const csv = path.join(dir, 'danh-sach.csv');
      writeFileSync(
        csv,
        [
          '\uFEFFkeyId;softwareId;unitCode;vendor;encoding;status;secret;secretSha256;operations;expires;contactName;contactEmail',
          `BNV-0001;HRM-B;000.00.00.G01;vendor-b-jaxws;unicode;activated;${importedSecret};;submitProfiles|status;31/12/2030;"Trần Thị Hoa; phòng CNTT";hoa@moha.gov.vn`,
          `BNV-0002;VB6-C;000.00.00.H40;vendor-c-xmlpost;tcvn3;activated;;${createHash('sha256').update(hashedSecret).digest('hex')};;;;`,
          `${local.keyId};;;;;cancelled;;;;;;`,
          `BNV-0003;X;000.00.00.H40;vendor-z;;activated;${importedSecret}-3;;;;;`,
          `BNV-0004;X;000.00.00.H40;json;;activated;;;;;;`,
          `BNV-0005;X;000.00.00.H40;json;;paused;;;;;;`,
          `BNV-0001;HRM-B;000.00.00.G01;vendor-b-jaxws;;activated;;;;;;`,
          `BNV-GONE;;;;;cancelled;;;;;;`,
        ].join('\r\n'),
      );
      const first = await importKeys(ctx, csv, 'admin:test');
      expect(first).toMatchObject({ format: 'csv', rows: 8, created: 2, updated: 0, cancelled: 1, unchanged: 1, applied: true });
      expect(first.errors.map((e) => [e.row, e.line, e.keyId, e.field])).toEqual([
        [4, 5, 'BNV-0003', 'vendor'],
        [5, 6, 'BNV-0004', 'secret/secretSha256'],
        [6, 7, 'BNV-0005', 'status'],
        [7, 8, 'BNV-0001', 'keyId'],
      ]);
      expect(first.errors[0].message).toContain('vendor-z');
      const b = await showKey(ctx, 'BNV-0001');
      expect(b).toMatchObject({ source: 'import', vendor: 'vendor-b-jaxws', operations: ['submitProfiles', 'status'], contact: { name: 'Trần Thị Hoa; phòng CNTT', email: 'hoa@moha.gov.vn' } });
      expect((await showKey(ctx, local.keyId)).status).toBe('cancelled');

      // The imported keys work, with the secret alone or prefixed by the id.
      await validator.refresh();
      expect(validator.validate({ key: `BNV-0001.${importedSecret}`, softwareId: 'HRM-B' }, undefined, { front: 'vendor-b-jaxws', operation: 'submitProfiles' }).unitCode).toBe('000.00.00.G01');
      expect(validator.validate({ key: importedSecret }, undefined, { front: 'vendor-b-jaxws' }).keyId).toBe('BNV-0001');
      expect(validator.validate({ key: hashedSecret }, undefined, { front: 'vendor-c-xmlpost' })).toMatchObject({ keyId: 'BNV-0002', encoding: 'tcvn3' });
      expectRefused(() => validator.validate({ key: local.connectionKey }, undefined, {}), 'cancelled');

      // Same file again: nothing changes, and the revision does not move.
      const rev = (await readRevisions(ctx.store.db)).get('keys');
      const second = await importKeys(ctx, csv, 'admin:test');
      expect(second).toMatchObject({ created: 0, updated: 0, cancelled: 0, unchanged: 4 });
      expect(second.errors).toHaveLength(4);
      expect((await readRevisions(ctx.store.db)).get('keys')).toBe(rev);

      // JSON, changing one field and trying to revive the cancelled key.
      const json = await importKeys(
        ctx,
        {
          content: JSON.stringify({
            keys: [
              { keyId: 'BNV-0001', status: 'suspended', contactPhone: '0243 825 1234' },
              { key_id: 'BNV-0002', status: 'activated' },
              { keyId: local.keyId, status: 'activated' },
            ],
          }),
        },
        'admin:test',
      );
      expect(json).toMatchObject({ format: 'json', created: 0, updated: 1, cancelled: 0, unchanged: 1 });
      expect(json.changes.find((c) => c.keyId === 'BNV-0001')).toMatchObject({ action: 'updated', fields: ['contactPhone', 'status'] });
      expect(json.errors).toEqual([expect.objectContaining({ row: 3, keyId: local.keyId, field: 'status' })]);
      expect((await showKey(ctx, local.keyId)).status).toBe('cancelled');

      // A row that states no status leaves the key's status alone.
      const quiet = await importKeys(ctx, { content: JSON.stringify([{ keyId: 'BNV-0001', contactName: 'Lê Văn Nam' }]) }, 'admin:test');
      expect(quiet.changes).toEqual([expect.objectContaining({ keyId: 'BNV-0001', action: 'updated', fields: ['contactName'] })]);
      expect(await showKey(ctx, 'BNV-0001')).toMatchObject({ status: 'suspended', contact: { name: 'Lê Văn Nam' } });

      // Dry run and strict mode write nothing.
      const dry = await importKeys(ctx, { content: JSON.stringify([{ keyId: 'BNV-0002', status: 'cancelled' }]), dryRun: true }, 'admin:test');
      expect(dry).toMatchObject({ cancelled: 1, applied: false, dryRun: true });
      const strict = await importKeys(
        ctx,
        { content: JSON.stringify([{ keyId: 'BNV-0002', status: 'cancelled' }, { keyId: 'BNV-0009', status: 'activated' }]), strict: true },
        'admin:test',
      );
      expect(strict).toMatchObject({ cancelled: 1, applied: false });
      expect(strict.errors).toHaveLength(1);
      expect((await showKey(ctx, 'BNV-0002')).status).toBe('active');

      // A file that cannot be read is refused as a whole.
      await expect(importKeys(ctx, { content: 'keyId,stauts\nBNV-0001,cancelled\n', format: 'csv' }, 'admin:test')).rejects.toMatchObject({ code: 'TEP_NHAP_KHONG_HOP_LE' });
      await expect(importKeys(ctx, path.join(dir, 'missing.csv'), 'admin:test')).rejects.toMatchObject({ code: 'TEP_NHAP_KHONG_HOP_LE' });

      const audited = JSON.stringify(events);
      expect(audited).not.toContain(importedSecret);
      expect(audited).not.toContain(hashedSecret);
      expect(events.filter((e) => e.operation?.startsWith('keys.import.')).map((e) => `${e.operation}:${e.target}`)).toEqual([
        'keys.import.created:BNV-0001',
        'keys.import.created:BNV-0002',
        `keys.import.cancelled:${local.keyId}`,
        'keys.import.updated:BNV-0001',
        'keys.import.updated:BNV-0001',
      ]);
      const dump = await storeDump(ctx);
      expect(dump).not.toContain(importedSecret);
      expect(dump).not.toContain(hashedSecret);
    } finally {
      await validator.stop();
    }
  });
});
