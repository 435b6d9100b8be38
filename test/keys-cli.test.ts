/**
 * `ndxp keys …` driven in-process through the real program (buildProgram), against a store
 * named by --config: one JSON document per verb, the secret printed only by create and rotate,
 * exit codes 0 / 1 / 2.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { STORE_KINDS, cleanup, tempDir } from './helpers/env.js';
import { buildProgram, main } from '../gateway/cli/main.js';
import { CliFailure } from '../core/cli-output.js';
import { configFile, ndxp } from './helpers/cli.js';

afterAll(cleanup);


describe.each(STORE_KINDS)('ndxp keys on %s', (kind) => {
  it('create / list / show / suspend / activate / rotate / cancel with --json', async () => {
    const cfg = configFile(kind);
    const created = await ndxp([
      'keys', 'create', '--software', 'QLCB-A-HN', '--unit', '000.00.00.H26', '--vendor', 'vendor-a-asmx', '--encoding', 'tcvn3',
      '--operations', 'submitProfiles,status', '--cert-serial', '0A:1B', '--expires', '2030-12-31',
      '--contact-name', 'Nguyễn Văn Đức', '--contact-agency', 'Sở Nội vụ', '--contact-phone', '0243 825 1234', '--contact-email', 'duc@hanoi.gov.vn',
      '--body-retention', 'metadata', '--json', '--config', cfg,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({
      softwareId: 'QLCB-A-HN',
      unitCode: '000.00.00.H26',
      vendor: 'vendor-a-asmx',
      encoding: 'tcvn3',
      operations: ['submitProfiles', 'status'],
      certSerial: 'A1B',
      status: 'active',
      contact: { name: 'Nguyễn Văn Đức', email: 'duc@hanoi.gov.vn' },
      bodyRetention: 'metadata',
    });
    expect(key.keyId).toMatch(/^KN[A-Z2-7]{12}$/);
    expect(key.connectionKey).toBe(`${key.keyId}.${key.secret}`);

    // --config before the area works too (program-level option).
    const list = await ndxp(['--config', cfg, 'keys', 'list', '--json']);
    expect(list.code).toBe(0);
    const keys = JSON.parse(list.stdout);
    expect(keys.map((k: { keyId: string }) => k.keyId)).toEqual([key.keyId]);
    expect(list.stdout).not.toContain(key.secret);

    const text = await ndxp(['keys', 'list', '--config', cfg]);
    expect(text.stdout).toContain(key.keyId);
    expect(text.stdout).toContain('QLCB-A-HN');
    expect(text.stdout).not.toContain(key.secret);

    const shown = JSON.parse((await ndxp(['keys', 'show', key.keyId, '--json', '--config', cfg])).stdout);
    expect(shown).toMatchObject({ keyId: key.keyId, status: 'active' });
    expect(shown).not.toHaveProperty('secret');

    expect(JSON.parse((await ndxp(['keys', 'suspend', key.keyId, '--reason', 'Bảo trì', '--json', '--config', cfg])).stdout)).toMatchObject({ status: 'suspended', statusReason: 'Bảo trì', changed: true });
    expect(JSON.parse((await ndxp(['keys', 'list', '--status', 'suspended', '--json', '--config', cfg])).stdout)).toHaveLength(1);
    expect(JSON.parse((await ndxp(['keys', 'list', '--unit', 'OTHER', '--json', '--config', cfg])).stdout)).toEqual([]);
    expect(JSON.parse((await ndxp(['keys', 'activate', key.keyId, '--json', '--config', cfg])).stdout)).toMatchObject({ status: 'active', changed: true });

    const rotatedRun = await ndxp(['keys', 'rotate', key.keyId, '--grace', '30m', '--json', '--config', cfg]);
    const rotated = JSON.parse(rotatedRun.stdout);
    expect(rotated.secret).not.toBe(key.secret);
    expect(rotated.connectionKey).toBe(`${key.keyId}.${rotated.secret}`);
    expect(rotated.graceMs).toBe(30 * 60_000);
    expect(rotated.previousSecretValidUntil).not.toBeNull();

    const rotatedText = await ndxp(['keys', 'rotate', key.keyId, '--grace', '0', '--config', cfg]);
    expect(rotatedText.code).toBe(0);
    expect(rotatedText.stdout).toMatch(new RegExp(`${key.keyId}\\.[A-Za-z0-9_-]{43}`));

    expect(JSON.parse((await ndxp(['keys', 'cancel', key.keyId, '--reason', 'Ngừng sử dụng', '--yes', '--json', '--config', cfg])).stdout)).toMatchObject({ status: 'cancelled' });
    const refused = await ndxp(['keys', 'activate', key.keyId, '--json', '--config', cfg]);
    expect(refused.code).toBe(1);
    expect(refused.error).toBeInstanceOf(CliFailure);
    expect((refused.error as CliFailure).code).toBe('KHOA_DA_HUY');
    // With --json the failure is the one JSON document on stdout (as main() prints it).
    expect(JSON.parse(refused.stdout)).toMatchObject({ error: { code: 'KHOA_DA_HUY' } });
  });

  it('bad usage exits 2, failures exit 1', async () => {
    const cfg = configFile(kind);
    expect((await ndxp(['keys', 'create', '--software', 'X', '--unit', 'H26', '--json', '--config', cfg])).code).toBe(2); // --vendor missing
    const badVendor = await ndxp(['keys', 'create', '--software', 'X', '--unit', 'H26', '--vendor', 'soap', '--json', '--config', cfg]);
    expect(badVendor.code).toBe(2);
    expect((badVendor.error as Error).message).toContain('vendor');
    expect((await ndxp(['keys', 'rotate', 'KNX', '--grace', 'tomorrow', '--config', cfg])).code).toBe(2);
    const missing = await ndxp(['keys', 'show', 'KNDOESNOTEXIST', '--json', '--config', cfg]);
    expect(missing.code).toBe(1);
    expect((missing.error as CliFailure).code).toBe('KHOA_KHONG_TON_TAI');

    // And main() turns them into the process exit code.
    const saved = process.exitCode;
    const silence = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    try {
      await main(['node', 'ndxp', 'keys', 'show', 'KNDOESNOTEXIST', '--config', cfg]);
      expect(process.exitCode).toBe(1);
      await main(['node', 'ndxp', 'keys', 'create', '--software', 'X', '--config', cfg]);
      expect(process.exitCode).toBe(2);
    } finally {
      silence.forEach((s) => s.mockRestore());
      process.exitCode = saved;
    }
  });

  it('imports a file, reports per row, and exits 1 when rows had errors', async () => {
    const cfg = configFile(kind);
    const dir = tempDir();
    const good = path.join(dir, 'keys.json');
    writeFileSync(good, JSON.stringify([{ keyId: 'BNV-1', softwareId: 'HRM-B', unitCode: 'G01', vendor: 'vendor-b-jaxws', secret: 'secret-of-the-ministry-0001' }]));
    const first = await ndxp(['keys', 'import', good, '--json', '--config', cfg]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ created: 1, updated: 0, unchanged: 0, errors: [], applied: true });
    const again = await ndxp(['keys', 'import', good, '--json', '--config', cfg]);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, unchanged: 1 });
    expect(first.stdout + again.stdout).not.toContain('secret-of-the-ministry-0001');

    const bad = path.join(dir, 'keys.csv');
    writeFileSync(bad, 'keyId,status\nBNV-1,cancelled\nBNV-2,whatever\n');
    const run = await ndxp(['keys', 'import', bad, '--json', '--config', cfg]);
    expect(run.code).toBe(1);
    const report = (run.error as CliFailure).details as { cancelled: number; errors: { row: number; line: number; field: string }[] };
    expect(report.cancelled).toBe(1);
    expect(report.errors).toEqual([expect.objectContaining({ row: 2, line: 3, field: 'status' })]);
    const shown = JSON.parse((await ndxp(['keys', 'show', 'BNV-1', '--json', '--config', cfg])).stdout);
    expect(shown.status).toBe('cancelled');
  });
});
