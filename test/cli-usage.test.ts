/**
 * The CLI as people use it (issue 10): no stack trace ever reaches an operator; the same exit
 * code for the same kind of fault (1: failure, including a missing input file, an output path
 * that cannot be written and a port in use; 2: bad usage); usage errors in Vietnamese with a code
 * (one JSON document with --json); --version; an example in every verb's help; Vietnamese table
 * headers and Vietnam time; `keys list` pages; destructive verbs confirmed on a terminal or by
 * --yes (refused, never hanging, without either); no past expiry; `keys import` summary and
 * --verbose; a failed `certs issue` leaves no certificate behind.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { REPO, cleanup, tempDir } from './helpers/env.js';
import { configFile, ndxp, type CliRun } from './helpers/cli.js';
import { buildProgram } from '../gateway/cli/main.js';
import { vietnamTime } from '../core/cli-output.js';

afterAll(cleanup);

const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$/m;
const noStack = (r: CliRun, what: string) => expect(r.stderr + r.stdout, what).not.toMatch(STACK);

let cfg: string;
let dir: string;
beforeAll(async () => {
  cfg = configFile('sqlite');
  dir = tempDir();
  const init = await ndxp(['certs', 'init', '--config', cfg]);
  expect(init.code, init.stderr).toBe(0);
}, 60_000);

/** Runs bin/ndxp.js as a child; `tty` runs it under script(1) so it has a terminal. */
function child(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; tty?: boolean } = {}): Promise<{ code: number | null; out: string; err: string }> {
  const node = process.execPath;
  const bin = path.join(REPO, 'bin/ndxp.js');
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const [cmd, argv] = options.tty ? ['script', ['-qec', [node, bin, ...args].map(quote).join(' '), '/dev/null']] : [node, [bin, ...args]];
  return new Promise((resolve) => {
    const p = spawn(cmd, argv as string[], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    // stdin stays open unless there is input: a verb waiting for an answer would hang here.
    if (options.input !== undefined) setTimeout(() => p.stdin.write(options.input), 1500);
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

describe('usage', () => {
  it('ndxp --version prints the package version', async () => {
    const r = await ndxp(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
  });

  it('usage errors are Vietnamese with a code and exit 2; with --json one JSON document', async () => {
    const cases: [string[], string][] = [
      [['keys', 'show'], 'Thiếu tham số bắt buộc «keyId»'],
      [['keys', 'list', '--bogus'], 'Không có tùy chọn --bogus'],
      [['keys', 'create', '--unit', 'X', '--vendor', 'json'], 'Thiếu tùy chọn bắt buộc --software <id>'],
      [['keys', 'list', '--status'], 'Tùy chọn --status <status> cần một giá trị'],
      [['khong-co-lenh-nay'], 'Không có lệnh «khong-co-lenh-nay»'],
      [['keys', 'show', 'A', 'B'], 'Thừa tham số cho lệnh «show»'],
    ];
    for (const [args, message] of cases) {
      const r = await ndxp(['--config', cfg, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toContain(`Lỗi (SAI_CU_PHAP): ${message}`);
      expect(r.stderr + r.stdout, args.join(' ')).not.toMatch(/error:|missing required|unknown option|too many arguments|not specified/);
      const j = await ndxp(['--config', cfg, ...args.slice(0, 2), '--json', ...args.slice(2)]);
      expect(j.code).toBe(2);
      expect(JSON.parse(j.stdout)).toEqual({ error: { code: 'SAI_CU_PHAP', message } });
    }
  });

  it('every verb shows an example in its help', async () => {
    const leaves: string[][] = [];
    const walk = (c: Command, prefix: string[]) => c.commands.forEach((s) => (s.commands.length ? walk(s, [...prefix, s.name()]) : leaves.push([...prefix, s.name()])));
    walk(buildProgram(), []);
    expect(leaves.length).toBeGreaterThan(40);
    for (const verb of leaves) {
      const r = await ndxp([...verb, '--help']);
      expect(r.code, verb.join(' ')).toBe(0);
      expect(r.stdout, verb.join(' ')).toMatch(new RegExp(`Ví dụ:\\n  (NDXP_\\S+ )?ndxp ${verb.join(' ')}`));
    }
  });
});

describe('files and ports: exit 1 with a Vietnamese message and a code, never a stack trace', () => {
  it('a missing input file is exit 1 for every verb that reads one', async () => {
    const missing = path.join(dir, 'khong-co.json');
    const verbs = [
      ['keys', 'import', missing],
      ['units', 'load', missing],
      ['units', 'remap', 'load', missing],
      ['certs', 'sign-csr', missing, '--out', path.join(dir, 'x.pem')],
      ['certs', 'trust', 'add', missing],
      ['audit', 'verify-bundle', missing],
      ['state', 'diff', missing],
      ['state', 'apply', missing],
      ['backup', 'restore', missing, '--passphrase-file', missing],
    ];
    for (const v of verbs) {
      const r = await ndxp([...v, '--config', cfg]);
      expect(r.code, `${v.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr, v.join(' ')).toMatch(/^Lỗi \([A-Z_]+\): .*khong-co\.json/m);
      noStack(r, v.join(' '));
    }
  });

  it('an output path that cannot be written is exit 1; a failed certs issue leaves no certificate behind', async () => {
    const file = path.join(dir, 'la-tep');
    writeFileSync(file, 'not a directory');
    const before = JSON.parse((await ndxp(['certs', 'list', '--json', '--config', cfg])).stdout).certificates.length;
    const issue = await ndxp(['certs', 'issue', '--cn', 'PM-LOI', '--unit', '000.00.00.H06', '--out', path.join(file, 'sub'), '--config', cfg]);
    expect(issue.code).toBe(1);
    expect(issue.stderr).toMatch(/^Lỗi \(KHONG_GHI_DUOC_TEP\): /m);
    noStack(issue, 'certs issue');
    const after = JSON.parse((await ndxp(['certs', 'list', '--json', '--config', cfg])).stdout).certificates as { cn: string }[];
    expect(after).toHaveLength(before);
    expect(after.some((c) => c.cn === 'PM-LOI')).toBe(false);

    const outputs = [
      ['certs', 'crl', '--out', path.join(file, 'x.crl')],
      ['state', 'export', '--out', path.join(file, 'state.json')],
      ['audit', 'export', '--from', '2000-01-01', '--to', '2100-01-01', '--out', path.join(file, 'a.jsonl.gz')],
    ];
    for (const v of outputs) {
      const r = await ndxp([...v, '--config', cfg]);
      expect(r.code, `${v.join(' ')}: ${r.stderr}`).toBe(1);
      expect(r.stderr, v.join(' ')).toMatch(/^Lỗi \(KHONG_GHI_DUOC_TEP\): /m);
      noStack(r, v.join(' '));
    }
  });

  it('ndxp start on a port in use: exit 1, CONG_DANG_DUOC_DUNG, no stack', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      const { dataDir } = JSON.parse(readFileSync(cfg, 'utf8'));
      const r = await child(['start'], { env: { NDXP_DATA_DIR: dataDir, NDXP_LISTEN: `127.0.0.1:${port}`, NDXP_ADMIN_LISTEN: '127.0.0.1:0', NDXP_WORKERS: '1', REDIS_URL: '', DATABASE_URL: '' } });
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(/Lỗi \(CONG_DANG_DUOC_DUNG\): Địa chỉ .*:\d+ đang được chương trình khác dùng/);
      expect(r.err + r.out).not.toMatch(STACK);
    } finally {
      busy.close();
    }
  }, 90_000);
});

describe('keys as an operator uses them', () => {
  const keyIds: string[] = [];
  beforeAll(async () => {
    for (const sw of ['PM-1', 'PM-2', 'PM-3']) {
      const r = await ndxp(['keys', 'create', '--software', sw, '--unit', '000.00.00.H06', '--vendor', 'json', '--json', '--config', cfg]);
      expect(r.code, r.stderr).toBe(0);
      keyIds.push(JSON.parse(r.stdout).keyId);
    }
  });

  it('keys list pages, with Vietnamese headers', async () => {
    const first = await ndxp(['keys', 'list', '--limit', '2', '--config', cfg]);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')[0]).toMatch(/^Mã kết nối\s+Trạng thái\s+Phần mềm\s+Đơn vị\s+Giao diện/);
    expect(first.stdout).toContain('Trang 1/2 (3 mã kết nối; trang sau: --page 2)');
    const second = await ndxp(['keys', 'list', '--limit', '2', '--page', '2', '--config', cfg]);
    expect(second.stdout).toContain('Trang 2/2');
    const shown = (s: string) => keyIds.filter((id) => s.includes(id));
    expect(shown(first.stdout)).toHaveLength(2);
    expect(shown(second.stdout)).toHaveLength(1);
    expect(JSON.parse((await ndxp(['keys', 'list', '--json', '--limit', '1', '--page', '3', '--config', cfg])).stdout)).toHaveLength(1);
    expect(JSON.parse((await ndxp(['keys', 'list', '--json', '--config', cfg])).stdout)).toHaveLength(3);
  });

  it('shows times in Vietnam time (UTC+7)', async () => {
    expect(vietnamTime('2026-01-31T17:30:05.000Z')).toBe('01/02/2026 00:30:05');
    const json = JSON.parse((await ndxp(['keys', 'show', keyIds[0], '--json', '--config', cfg])).stdout);
    const text = (await ndxp(['keys', 'show', keyIds[0], '--config', cfg])).stdout;
    expect(text).toContain(`Tạo lúc:`);
    expect(text).toContain(vietnamTime(json.createdAt));
    expect(text).not.toContain(json.createdAt);
  });

  it('refuses an expiry in the past', async () => {
    for (const past of ['2020-01-01', '01/01/2020']) {
      const r = await ndxp(['keys', 'create', '--software', 'PM-CU', '--unit', '000.00.00.H06', '--vendor', 'json', '--expires', past, '--config', cfg]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('đã qua');
    }
    const listed = JSON.parse((await ndxp(['keys', 'list', '--json', '--config', cfg])).stdout) as { softwareId: string }[];
    expect(listed.some((k) => k.softwareId === 'PM-CU')).toBe(false);
  });

  it('keys cancel without a terminal and without --yes is refused (exit 2), and does not wait for an answer', async () => {
    const r = await ndxp(['keys', 'cancel', keyIds[0], '--config', cfg]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Lỗi (CAN_XAC_NHAN)');
    expect(JSON.parse((await ndxp(['keys', 'show', keyIds[0], '--json', '--config', cfg])).stdout).status).toBe('active');
    // A child process whose stdin is an open pipe (no terminal): refused at once, not left waiting.
    const c = await child(['keys', 'cancel', keyIds[0], '--config', cfg]);
    expect(c.code).toBe(2);
    expect(c.err).toContain('CAN_XAC_NHAN');
  }, 60_000);

  it('keys cancel on a terminal asks, and cancels only when the operator answers "có"', async () => {
    const no = await child(['keys', 'cancel', keyIds[1], '--config', cfg], { tty: true, input: 'không\n' });
    expect(no.out).toContain('Gõ "có" để xác nhận');
    expect(no.code).toBe(2);
    expect(JSON.parse((await ndxp(['keys', 'show', keyIds[1], '--json', '--config', cfg])).stdout).status).toBe('active');
    const yes = await child(['keys', 'cancel', keyIds[1], '--config', cfg], { tty: true, input: 'có\n' });
    expect(yes.code, yes.out).toBe(0);
    expect(JSON.parse((await ndxp(['keys', 'show', keyIds[1], '--json', '--config', cfg])).stdout).status).toBe('cancelled');
    const flag = await ndxp(['keys', 'cancel', keyIds[2], '--yes', '--config', cfg]);
    expect(flag.code).toBe(0);
  }, 90_000);

  it('keys import prints a summary, and each row with --verbose', async () => {
    const file = path.join(dir, 'bnv.json');
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify([{ keyId: 'BNV-10', softwareId: 'HRM-X', unitCode: 'G01', vendor: 'vendor-b-jaxws', secret: 'secret-of-the-ministry-0010' }, { keyId: 'BNV-11', softwareId: 'HRM-Y', unitCode: 'G01', vendor: 'vendor-b-jaxws', secret: 'secret-of-the-ministry-0011' }]));
    const summary = await ndxp(['keys', 'import', file, '--dry-run', '--config', cfg]);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toContain('tạo mới: 2');
    expect(summary.stdout).not.toContain('dòng 1:');
    const verbose = await ndxp(['keys', 'import', file, '--dry-run', '--verbose', '--config', cfg]);
    expect(verbose.stdout).toContain('dòng 1: BNV-10');
    expect(verbose.stdout).toContain('dòng 2: BNV-11');
  });
});
