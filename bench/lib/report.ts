/** Machine description, JSON reports under bench/results/, and generated sections of BENCHMARKS.md. */
import os from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage } from './procstat.js';

/** The repository root (bench/lib/report.ts → dist/bench/lib/report.js when compiled). */
export const REPO_ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  kernel: string;
  loadAverage: number[];
  nginx?: string;
  autocannon?: string;
  redis?: string;
}

export function machine(extra: Partial<Machine> = {}): Machine {
  let autocannon: string | undefined;
  try {
    autocannon = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules/autocannon/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* not installed */
  }
  let osName = `${os.type()} ${os.release()}`;
  try {
    osName = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? osName;
  } catch {
    /* keep uname */
  }
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: +(os.totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    os: osName,
    kernel: os.release(),
    loadAverage: loadAverage(),
    ...(autocannon ? { autocannon } : {}),
    ...extra,
  };
}

export function timestampName(d = new Date()): string {
  return d.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
}

export function writeJsonReport(prefix: string, report: unknown, when = new Date()): string {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}${timestampName(when)}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

const HEADER = `# Benchmarks

Every figure here comes from the harness in \`bench/\`, run on the machine described in its
section, with the command shown. Sections between \`<!-- bench:… -->\` markers are rewritten by the
harness on each run; the machine-readable reports are in \`bench/results/\`.
`;

/** Replaces (or appends) the section between `<!-- bench:NAME:start -->` and `<!-- bench:NAME:end -->`. */
export function updateBenchmarksSection(name: string, markdown: string, file = path.join(REPO_ROOT, 'BENCHMARKS.md')): string {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${markdown.trim()}\n${end}`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
  return file;
}

export function mdTable(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c)).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function machineLines(m: Machine): string[] {
  return [
    `- CPU: ${m.cpuModel}, ${m.cores} cores; RAM ${m.memoryGiB} GiB; ${m.os} (kernel ${m.kernel})`,
    `- Node ${m.node}${m.nginx ? `; nginx ${m.nginx}` : ''}${m.autocannon ? `; autocannon ${m.autocannon}` : ''}${m.redis ? `; Redis ${m.redis}` : ''}`,
  ];
}
