/**
 * `npm run bench:excel`: a merged province department's workbook (50,000 rows by default, each
 * with its work history, every 5th with an award, every 10th with a position) made by
 * `ndxp excel template --example N`, submitted with `ndxp excel submit` against the central
 * simulator (a separate process), submitted again (every row unchanged: nothing sent), and its
 * answer brought up to date with `ndxp excel status`. Each step is its own `ndxp` process, so
 * its wall time and peak RSS (sampled from /proc every 100 ms) are the step's own.
 *
 *   node dist/bench/excel.js [--rows 50000] [--batch 500]
 *
 * Report: bench/results/excel-<timestamp>.json and the `excel` section of BENCHMARKS.md.
 */
import { Command } from 'commander';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../config/config.js';
import { readAnswerState, type CellIssue } from '../adapters/excel/answer.js';
import { quietLogger } from '../core/log.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { openContext, closeContext } from '../gateway/context.js';
import { createKey } from '../gateway/keys/service.js';
import { loadRemapRules, loadUnitTree } from '../gateway/units/service.js';
import { SAMPLE_REMAP, SAMPLE_TREE, UNTHROTTLED } from './lib/setup.js';
import { freePort, startServer } from './lib/processes.js';
import { memorySampler } from './lib/procstat.js';
import { machine, machineLines, mdTable, REPO_ROOT, updateBenchmarksSection, writeJsonReport } from './lib/report.js';

const UNIT = '000.00.00.H06';
const SOFTWARE = 'SO-TINH-BENCH';

interface Step {
  step: string;
  seconds: number;
  peakRssMiB: number;
  output: Record<string, unknown>;
}

/** Runs one `ndxp` verb as its own process; its wall time and peak RSS. */
function ndxp(step: string, args: string[], env: Record<string, string>): Promise<Step> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/ndxp.js'), ...args, '--json'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    const memory = memorySampler(child.pid!, 100);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const { peakRssMiB } = memory.stop();
      if (code !== 0) return reject(new Error(`${step} exited with ${code}: ${out.slice(0, 500)}`));
      resolve({ step, seconds: +seconds.toFixed(1), peakRssMiB, output: JSON.parse(out) as Record<string, unknown> });
    });
  });
}

async function main(): Promise<void> {
  const o = new Command('bench-excel').option('--rows <n>', 'rows of the workbook', '50000').option('--batch <n>', 'rows per pipeline exchange', '500').parse().opts<{ rows: string; batch: string }>();
  const rows = Number(o.rows);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndxp-bench-excel-'));
  const [simPort, simControl] = [await freePort(), await freePort()];
  const configFile = path.join(dir, 'ndxp.json');
  // Embedded mode (SQLite, no Redis): the unit's own machine, as a clerk's office would run it.
  writeFileSync(configFile, JSON.stringify({ dataDir: path.join(dir, 'data'), centralUrl: `https://127.0.0.1:${simPort}`, centralListen: `127.0.0.1:${simPort}`, rateLimit: UNTHROTTLED }), { mode: 0o600 });
  const env = { NDXP_CONFIG: configFile, REDIS_URL: '', DATABASE_URL: '' };
  const ctx = await openContext(loadConfig({ file: configFile, env: {} }), { log: quietLogger() });
  try {
    await ensurePki(ctx);
    await loadRemapRules(ctx, SAMPLE_REMAP, 'bench');
    await loadUnitTree(ctx, SAMPLE_TREE, 'bench');
    await issueCertificate(ctx, { kind: 'signing', cn: `Ký số ${UNIT}`, unit: UNIT }, 'bench');
    await createKey(ctx, { softwareId: SOFTWARE, unitCode: UNIT, vendor: 'excel' }, 'bench');
  } finally {
    await closeContext(ctx);
  }
  const sim = await startServer({ name: 'central-sim', cmd: process.execPath, args: [path.join(REPO_ROOT, 'bin/ndxp.js'), 'central-sim', '--control-listen', `127.0.0.1:${simControl}`, '--json'], env, logDir: dir, waitForJson: true });
  const workbook = path.join(dir, 'so-tinh.xlsx');
  const answer = path.join(dir, 'tra-loi.xlsx');
  const steps: Step[] = [];
  try {
    steps.push(await ndxp('template --example', ['excel', 'template', '--out', workbook, '--example', String(rows), '--unit', UNIT], env));
    const size = statSync(workbook).size;
    steps.push(await ndxp('submit', ['excel', 'submit', workbook, '--unit', UNIT, '--software', SOFTWARE, '--out', answer, '--batch', o.batch], env));
    // What the answer says of the rows it did not send, for the report.
    const problems: CellIssue[] = [];
    await readAnswerState(answer, { row() {}, issue: (i) => void (problems.length < 20 && problems.push(i)) });
    steps.push(await ndxp('submit again (unchanged)', ['excel', 'submit', workbook, '--unit', UNIT, '--software', SOFTWARE, '--out', path.join(dir, 'tra-loi-2.xlsx'), '--batch', o.batch], env));
    steps.push(await ndxp('status', ['excel', 'status', answer], env));
    const m = machine();
    const report = { rows, batch: Number(o.batch), workbookBytes: size, answerBytes: statSync(answer).size, steps, problems, machine: m, at: new Date().toISOString() };
    const file = writeJsonReport('excel-', report);
    const md = [
      `## Excel front: a ${rows.toLocaleString('en')}-row workbook`,
      '',
      `\`npm run bench:excel -- --rows ${rows}\` (${new Date().toISOString().slice(0, 10)}; report \`${path.relative(REPO_ROOT, file)}\`). Each step is one \`ndxp\` process`,
      'in the embedded mode (SQLite, no Redis) against the central simulator in its own process; peak RSS is',
      `the step's process, sampled every 100 ms. Workbook ${(size / 1048576).toFixed(1)} MiB (${rows.toLocaleString('en')} records, each with a work-history row, every 5th an award, every 10th a position); answer ${(report.answerBytes / 1048576).toFixed(1)} MiB.`,
      '',
      mdTable(
        ['step', 'wall time', 'rows/s', 'peak RSS', 'result'],
        steps.map((s) => [s.step, `${s.seconds} s`, Math.round(rows / s.seconds).toLocaleString('en'), `${s.peakRssMiB} MiB`, Object.entries(s.output).filter(([k]) => k !== 'out').map(([k, v]) => `${k} ${String(v)}`).join(', ')]),
      ),
      '',
      ...(problems.length ? ['Problems the answer names (first 20):', '', ...problems.map((p) => `- ${p.ref} (${p.code}): ${p.message}`), ''] : []),
      ...machineLines(m),
    ].join('\n');
    updateBenchmarksSection('excel', md);
    process.stdout.write(`${md}\n`);
  } finally {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
