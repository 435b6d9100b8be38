/**
 * The trail with the gateway's real PKI: checkpoints signed by the certs area's audit signing
 * identity (created on first use), verified against the gateway CA read from the store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, testContext } from './helpers/env.js';
import { ensurePki } from '../certs/pki.js';
import { verifyChain } from '../gateway/audit/verify.js';
import type { AuditTrail } from '../gateway/audit/trail.js';
import { sampleEvent } from './audit-fixtures.js';

afterAll(cleanup);

describe('audit trail with the gateway PKI', () => {
  it('signs checkpoints with auditSigningIdentity and verifies them against the gateway CA', async () => {
    const ctx = await testContext('sqlite');
    await ensurePki(ctx);
    for (let i = 1; i <= 5; i++) await ctx.audit.recordDurable(sampleEvent(i));
    const cp = await (ctx.audit as AuditTrail).checkpoint();
    expect(cp?.seq).toBeGreaterThanOrEqual(5);
    const v = await verifyChain(ctx.store); // default trust: the CA certificates in the store
    expect(v.problem).toBeUndefined();
    expect(v.trustedCas.length).toBeGreaterThan(0);
    expect(v.checkpointsVerified).toBe(1);
    expect(v.signers[0].trusted).toBe(true);
  }, 60_000);

  it('closing a short-lived context does not create the PKI just to sign its entries', async () => {
    const ctx = await testContext('sqlite');
    ctx.audit.record({ kind: 'admin', outcome: 'ok', operation: 'keys.create' });
    await ctx.audit.close();
    const ids = await ctx.store.db.selectFrom('pki_identities').select('name').execute();
    expect(ids).toEqual([]);
    expect(await ctx.store.db.selectFrom('audit_checkpoints').select('seq').execute()).toEqual([]);
    const v = await verifyChain(ctx.store);
    expect(v.ok).toBe(true);
    expect(v.entriesAfterLastCheckpoint).toBe(1);
  });
});
