import { afterAll, describe, expect, it, vi } from 'vitest';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { STORE_KINDS, cleanup, tempDir } from './helpers/env.js';
import { exportBundle } from '../gateway/audit/verify.js';
import { verifyBundle } from '../gateway/audit/bundle.js';
import { makeAuditPki } from './audit-helpers.js';
import { tamper, trailFixture, writeEntries } from './audit-fixtures.js';
import { Command } from 'commander';
import { register } from '../gateway/audit/cli.js';
import { cliHost } from '../gateway/cli/verbs.js';
import { CliFailure } from '../core/cli-output.js';

afterAll(cleanup);

/** Byte offsets spread over the whole file, always including the first and the last bytes. */
function offsets(length: number, count: number): number[] {
  const out = new Set<number>([0, length - 1, length - 2]);
  for (let i = 1; i <= count; i++) out.add(Math.floor((length * i) / (count + 1)));
  return [...out].sort((a, b) => a - b);
}

describe.each(STORE_KINDS)('audit bundles from %s', (kind) => {
  it('an exported bundle verifies with nothing but the file, and fails when one byte changes', async () => {
    const f = await writeAndExport(kind);
    const { file, pki } = f;
    const ok = await verifyBundle(file);
    expect(ok.problem).toBeUndefined();
    expect(ok.ok).toBe(true);
    expect(ok.entries).toBe(14); // 07..20: requested 07..18, extended to the checkpoint at 20
    expect(ok.firstSeq).toBe(7);
    expect(ok.bundleSigned).toBe(true);
    expect(ok.entriesAfterLastCheckpoint).toBe(0);
    expect(ok.signers[0].trusted).toBe(true);
    // Pinned to the auditor's own copy of the CA.
    expect((await verifyBundle(file, { caPems: [pki.caPem] })).ok).toBe(true);
    const stranger = await makeAuditPki('stranger');
    expect((await verifyBundle(file, { caPems: [stranger.caPem] })).problem).toMatchObject({ kind: 'checkpoint' });

    const original = readFileSync(file);
    const scratch = path.join(tempDir(), 'mutated.jsonl');
    const failures: string[] = [];
    for (const at of offsets(original.length, 40)) {
      const copy = Buffer.from(original);
      copy[at] = copy[at] === 0x30 ? 0x31 : copy[at] ^ 0x01;
      writeFileSync(scratch, copy);
      const v = await verifyBundle(scratch);
      if (v.ok) failures.push(`byte ${at} (${JSON.stringify(String.fromCharCode(original[at]))}) changed, bundle still verified`);
    }
    expect(failures).toEqual([]);
    // Changed entry content is pinpointed, not just "file changed".
    const text = original.toString('utf8');
    const edited = text.replace('"request_id":"req-12"', '"request_id":"req-99"');
    expect(edited).not.toBe(text);
    writeFileSync(scratch, edited);
    expect((await verifyBundle(scratch)).problem).toMatchObject({ kind: 'changed', seq: 12 });
    // A removed line too.
    writeFileSync(scratch, text.split('\n').filter((l) => !l.includes('"request_id":"req-15"')).join('\n'));
    expect((await verifyBundle(scratch)).problem).toMatchObject({ kind: 'removed', seq: 15 });
  });

  it('gzip bundles verify, and a changed byte (content or gzip header) fails', async () => {
    const f = await writeAndExport(kind, '.jsonl.gz');
    expect((await verifyBundle(f.file)).ok).toBe(true);
    const original = readFileSync(f.file);
    expect(gunzipSync(original).toString('utf8')).toContain('"type":"ndxp-audit-bundle"');
    const scratch = path.join(tempDir(), 'mutated.jsonl.gz');
    for (const at of [4, 9, 12, Math.floor(original.length / 2), original.length - 3]) {
      const copy = Buffer.from(original);
      copy[at] ^= 0x01;
      writeFileSync(scratch, copy);
      expect((await verifyBundle(scratch)).ok, `byte ${at}`).toBe(false);
    }
    // Re-compressed content with the same bytes inside is the same bundle.
    writeFileSync(scratch, gzipSync(gunzipSync(original)));
    expect((await verifyBundle(scratch)).ok).toBe(true);
  });

  it('a bundle of a tampered range does not verify', async () => {
    const f = await trailFixture(kind);
    await writeEntries(f, 20);
    await tamper(f.store, [`UPDATE audit_entries SET outcome = 'delivered' WHERE seq = 9`]);
    const out = path.join(tempDir(), 'b.jsonl');
    await exportBundle(f.store, { fromSeq: 1, toSeq: 20, out, signer: f.pki.identity, caPems: [f.pki.caPem] });
    expect((await verifyBundle(out)).problem).toMatchObject({ kind: 'changed', seq: 9 });
  });
});

describe('ndxp audit verify-bundle', () => {
  // The verb as registered (cli/main.ts maps CliFailure to exit code 1 and one JSON document).
  const run = async (argv: string[]) => {
    const program = new Command('ndxp').exitOverride();
    register(program, cliHost);
    for (const c of program.commands[0].commands) c.option('--json').exitOverride();
    await program.parseAsync(['node', 'ndxp', ...argv]);
  };

  it('succeeds on a good bundle and fails naming the position on a bad one, with --json', async () => {
    const f = await writeAndExport('sqlite');
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      await run(['audit', 'verify-bundle', f.file, '--json']);
      expect(JSON.parse(out.join('')).ok).toBe(true);
      const text = readFileSync(f.file, 'utf8').replace('"request_id":"req-10"', '"request_id":"req-1O"');
      const bad = path.join(tempDir(), 'bad.jsonl');
      writeFileSync(bad, text);
      const failure = await run(['audit', 'verify-bundle', bad, '--json']).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failure).toBeInstanceOf(CliFailure);
      expect((failure as CliFailure).code).toBe('NHAT_KY_BI_SUA');
      expect(((failure as CliFailure).details as { problem: { seq: number } }).problem.seq).toBe(10);
      expect((failure as CliFailure).message).toContain('vị trí 10');
    } finally {
      spy.mockRestore();
    }
  });
});

/** Writes 30 entries, exports 07..18, copies the bundle away and destroys the store and data directory. */
async function writeAndExport(kind: 'sqlite' | 'postgres', ext = '.jsonl') {
  const f = await trailFixture(kind, { audit: { checkpointEvery: 1_000_000 } });
  for (let i = 1; i <= 30; i++) {
    f.trail.record((await import('./audit-fixtures.js')).sampleEvent(i));
    if (i % 10 === 0) {
      await f.trail.flush();
      await f.trail.checkpoint();
    }
  }
  await f.trail.close();
  const dir = tempDir();
  const exported = path.join(f.config.dataDir, `export${ext}`);
  const from = Date.UTC(2026, 10, 20, 3, 7, 0);
  const to = Date.UTC(2026, 10, 20, 3, 18, 0);
  await exportBundle(f.store, { from, to, out: exported, signer: f.pki.identity, caPems: [f.pki.caPem] });
  const file = path.join(dir, `bundle${ext}`);
  copyFileSync(exported, file);
  // Nothing of the gateway is left: no store, no data directory, no configuration.
  await f.store.close().catch(() => undefined);
  rmSync(f.config.dataDir, { recursive: true, force: true });
  return { file, pki: f.pki };
}
