/**
 * The data plane's key check: every refusal looks the same to the caller, with the true reason
 * kept for logs and metrics; changes reach another instance sharing the store within one
 * refresh; last-used times are written in batches.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testConfig, testContext } from './helpers/env.js';
import { GatewayError } from '../core/errors.js';
import { cancelKey, createKey, rotateKey, showKey, suspendKey, activateKey } from '../gateway/keys/service.js';
import { createKeyValidator, KEY_REJECT_REASONS, type KeyRejectReason } from '../gateway/keys/validator.js';
import { openContext, closeContext } from '../gateway/context.js';
import { quietLogger } from '../core/log.js';

afterAll(cleanup);

function refusal(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** Polls `check` until it returns true or the deadline passes; never asserts a timing. */
async function eventually(check: () => boolean, deadlineMs = 5000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

const peer = { serial: '1A2B3C', subject: 'CN=QLCB-A-HN\nO=Sở Nội vụ Hà Nội, Việt Nam\nC=VN' };

describe.each(STORE_KINDS)('key validator on %s', (kind) => {
  it('refuses every key problem with the same caller-visible code and the true internal reason', async () => {
    const ctx = await testContext(kind);
    let clock = Date.now();
    const rejected: { reason: KeyRejectReason; keyId?: string }[] = [];
    const validator = await createKeyValidator(ctx, { now: () => clock, onReject: (reason, info) => rejected.push({ reason, ...info }) });
    try {
      const a = await createKey(ctx, { softwareId: 'QLCB-A-HN', unitCode: 'H26', vendor: 'vendor-a-asmx', operations: ['submitProfiles'] }, 'test');
      const b = await createKey(ctx, { softwareId: 'HRM-B', unitCode: 'G01', vendor: 'vendor-b-jaxws' }, 'test');
      const bound = await createKey(
        ctx,
        { softwareId: 'QLCB-A-HN', unitCode: 'H26', vendor: 'vendor-a-asmx', certSerial: '00:1a:2b:3c', certSubject: 'O=Sở Nội vụ Hà Nội\\, Việt Nam, CN=QLCB-A-HN' },
        'test',
      );
      const subjectOnly = await createKey(ctx, { softwareId: 'S', unitCode: 'H26', vendor: 'json', certSubject: '/CN=QLCB-A-HN' }, 'test');
      const expiring = await createKey(ctx, { softwareId: 'E', unitCode: 'H26', vendor: 'json', expires: new Date(clock + 3_600_000).toISOString() }, 'test');
      const suspended = await createKey(ctx, { softwareId: 'P', unitCode: 'H26', vendor: 'json' }, 'test');
      const cancelled = await createKey(ctx, { softwareId: 'C', unitCode: 'H26', vendor: 'json' }, 'test');
      await suspendKey(ctx, suspended.keyId, 'test', 'test');
      await cancelKey(ctx, cancelled.keyId, 'test', 'test');
      await validator.refresh();
      expect(validator.size).toBe(7);

      const A = { front: 'vendor-a-asmx', operation: 'submitProfiles' } as const;
      const identity = validator.validate({ key: a.connectionKey }, peer, A);
      expect(identity).toEqual({ keyId: a.keyId, softwareId: 'QLCB-A-HN', unitCode: 'H26', vendor: 'vendor-a-asmx', encoding: 'unicode', operations: ['submitProfiles'] });
      expect(Object.isFrozen(identity)).toBe(true);
      expect(validator.validate({ key: `  ${a.connectionKey} ` }, peer, A).keyId).toBe(a.keyId);
      expect(validator.validate({ key: bound.connectionKey }, peer, A).certSerial).toBe('1A2B3C');
      expect(validator.validate({ key: subjectOnly.connectionKey }, peer, { front: 'json' }).keyId).toBe(subjectOnly.keyId);
      // A key issued without a list allows every operation of its vendor, the JSON read pass-through included.
      expect(validator.validate({ key: subjectOnly.connectionKey }, peer, { front: 'json', operation: 'read' }).operations).toContain('read');
      expect(validator.validate({ key: b.connectionKey, softwareId: 'HRM-B' }, peer, { front: 'vendor-b-jaxws', operation: 'status' }).keyId).toBe(b.keyId);
      expect(validator.validate({ key: expiring.connectionKey }, peer, {}).expiresAt).toBe(new Date(Date.parse((await showKey(ctx, expiring.keyId)).expiresAt!)).toISOString());

      const wrongSecret = `${a.keyId}.${'x'.repeat(43)}`;
      const unknownId = `KNAAAAAAAAAAAA.${a.secret}`;
      const cases: [string, () => unknown][] = [
        ['missing_key', () => validator.validate({}, peer, A)],
        ['malformed_key', () => validator.validate({ key: 'a b' }, peer, A)],
        ['malformed_key', () => validator.validate({ key: [a.connectionKey, a.connectionKey] as unknown as string }, peer, A)],
        ['malformed_key', () => validator.validate({ key: 'x'.repeat(600) }, peer, A)],
        ['unknown_key', () => validator.validate({ key: unknownId }, peer, A)],
        ['unknown_key', () => validator.validate({ key: 'no-such-secret-at-all' }, peer, A)],
        ['bad_secret', () => validator.validate({ key: wrongSecret }, peer, A)],
        ['bad_secret', () => validator.validate({ key: `${cancelled.keyId}.wrong` }, peer, {})], // status is not revealed without the secret
        ['suspended', () => validator.validate({ key: suspended.connectionKey }, peer, {})],
        ['cancelled', () => validator.validate({ key: cancelled.connectionKey }, peer, {})],
        ['cert_mismatch', () => validator.validate({ key: bound.connectionKey }, { ...peer, serial: '1A2B3D' }, A)],
        ['cert_mismatch', () => validator.validate({ key: bound.connectionKey }, { serial: '1A2B3C', subject: 'CN=QLCB-A-HN\nO=Sở khác' }, A)],
        ['cert_mismatch', () => validator.validate({ key: bound.connectionKey }, undefined, A)],
        ['cert_mismatch', () => validator.validate({ key: subjectOnly.connectionKey }, { serial: '1', subject: 'CN=other' }, {})],
        ['wrong_front', () => validator.validate({ key: a.connectionKey }, peer, { front: 'vendor-c-xmlpost', operation: 'submitProfiles' })],
        ['software_mismatch', () => validator.validate({ key: b.connectionKey, softwareId: 'HRM-X' }, peer, { front: 'vendor-b-jaxws' })],
        ['operation_not_allowed', () => validator.validate({ key: a.connectionKey }, peer, { front: 'vendor-a-asmx', operation: 'upsertUnit' })],
        ['unknown_key', () => validator.validateKeyId('KNNOTAKEY00000', peer, {})],
        ['suspended', () => validator.validateKeyId(suspended.keyId, peer, {})],
      ];
      const texts = new Set<string>();
      for (const [reason, fn] of cases) {
        const err = refusal(fn);
        expect(err.code, reason).toBe('KHOA_KET_NOI_KHONG_HOP_LE');
        expect(err.internalReason, reason).toBe(reason);
        expect(err.httpStatus).toBe(401);
        texts.add(err.display);
      }
      expect(texts.size).toBe(1); // the caller cannot tell one reason from another
      expect([...texts][0]).not.toMatch(/tạm khóa|hủy|hết hạn|chứng thư/i);
      clock += 2 * 3_600_000;
      expect(refusal(() => validator.validate({ key: expiring.connectionKey }, peer, {})).internalReason).toBe('expired');

      const reasons = new Set(rejected.map((r) => r.reason));
      for (const reason of KEY_REJECT_REASONS) expect(reasons.has(reason), reason).toBe(true);
      expect(rejected.find((r) => r.reason === 'bad_secret')?.keyId).toBe(a.keyId);
      expect(rejected.find((r) => r.reason === 'missing_key')?.keyId).toBeUndefined();
      expect(validator.validateKeyId(a.keyId, peer, A).keyId).toBe(a.keyId);
    } finally {
      await validator.stop();
    }
  });

  it('records last-used times in batches, never moving them backwards', async () => {
    const ctx = await testContext(kind);
    let clock = Date.now();
    const validator = await createKeyValidator(ctx, { now: () => clock, touchFlushIntervalMs: 60_000 });
    const k = await createKey(ctx, { softwareId: 'T', unitCode: 'H26', vendor: 'json' }, 'test');
    try {
      validator.touch(k.keyId);
      validator.touch(k.keyId);
      expect((await showKey(ctx, k.keyId)).lastUsedAt).toBeNull(); // not written per request
      await validator.flush();
      expect((await showKey(ctx, k.keyId)).lastUsedAt).toBe(new Date(clock).toISOString());
      clock -= 60_000;
      validator.touch(k.keyId);
      await validator.flush();
      expect((await showKey(ctx, k.keyId)).lastUsedAt).toBe(new Date(clock + 60_000).toISOString());
      clock += 120_000;
      validator.touch(k.keyId);
    } finally {
      await validator.stop(); // flushes what is pending
    }
    expect((await showKey(ctx, k.keyId)).lastUsedAt).toBe(new Date(clock).toISOString());
  });
});

describe('two gateway instances sharing PostgreSQL', () => {
  it('see each other’s suspension, activation, rotation and cancellation within one refresh', async () => {
    const config = testConfig('postgres', { keys: { refreshIntervalMs: 150 } });
    const one = await openContext(config, { log: quietLogger() });
    const two = await openContext(config, { log: quietLogger() });
    const v1 = await createKeyValidator(one);
    const v2 = await createKeyValidator(two);
    const reasonOn = (v: typeof v1, key: string): string | undefined => {
      try {
        v.validate({ key }, undefined, { front: 'json' });
        return undefined;
      } catch (err) {
        return (err as GatewayError).internalReason;
      }
    };
    try {
      const k = await createKey(one, { softwareId: 'JSON-1', unitCode: 'H26', vendor: 'json' }, 'test');
      expect(await eventually(() => reasonOn(v2, k.connectionKey) === undefined)).toBe(true);

      await suspendKey(one, k.keyId, 'test', 'test');
      expect(await eventually(() => reasonOn(v2, k.connectionKey) === 'suspended')).toBe(true);
      expect(await eventually(() => reasonOn(v1, k.connectionKey) === 'suspended')).toBe(true);

      await activateKey(two, k.keyId, 'test');
      expect(await eventually(() => reasonOn(v1, k.connectionKey) === undefined)).toBe(true);

      const rotated = await rotateKey(two, k.keyId, '0', 'test');
      expect(await eventually(() => reasonOn(v1, k.connectionKey) === 'bad_secret' && reasonOn(v1, rotated.connectionKey) === undefined)).toBe(true);

      await cancelKey(one, k.keyId, 'test', 'test');
      expect(await eventually(() => reasonOn(v2, rotated.connectionKey) === 'cancelled')).toBe(true);
    } finally {
      await v1.stop();
      await v2.stop();
      await closeContext(one);
      await closeContext(two);
    }
  });

  it('an instance with a different master key refuses every key (and the store tells why)', async () => {
    const config = testConfig('postgres');
    const one = await openContext(config, { log: quietLogger() });
    const other = await openContext({ ...config, masterKey: 'a-different-master-key-of-at-least-32-chars' }, { log: quietLogger() });
    // A log line is a Vietnamese message with its machine code as a field: keep both.
    const errors: string[] = [];
    const error = (msg: string, fields?: Record<string, unknown>) => errors.push(`${msg} ${JSON.stringify(fields ?? {})}`);
    other.log = { ...other.log, error, child: () => ({ ...other.log, error }) } as typeof other.log;
    try {
      const k = await createKey(one, { softwareId: 'JSON-1', unitCode: 'H26', vendor: 'json' }, 'test');
      const v = await createKeyValidator(other);
      try {
        expect(refusal(() => v.validate({ key: k.connectionKey }, undefined, {})).internalReason).toBe('bad_secret');
        expect(errors.some((m) => m.includes('KHOA_CHU_KHONG_KHOP'))).toBe(true);
      } finally {
        await v.stop();
      }
    } finally {
      await closeContext(one);
      await closeContext(other);
    }
  });
});
