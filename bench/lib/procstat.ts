/**
 * CPU time and memory of a process and all its descendants, read from /proc (Linux only).
 * A server under test is often a tree (nginx master + workers, the gateway's cluster primary +
 * data-plane workers), so every figure covers the whole tree. CPU is the difference of
 * utime+stime between two snapshots; memory is sampled on an interval (the peak of the summed
 * VmRSS), beside the kernel's own per-process high-water mark (VmHWM, summed over the tree,
 * which over-estimates a little because the peaks need not coincide).
 *
 * Summed RSS counts every page shared between the processes of a tree (the node or nginx binary,
 * libraries, pages a cluster worker shares with nothing but still maps from the same files) once
 * per process. PSS (proportional set size, /proc/<pid>/smaps_rollup) charges a shared page to
 * each process in proportion, so its sum over a tree is the memory the tree really holds: both
 * are reported.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface StatLine {
  pid: number;
  ppid: number;
  /** utime + stime in clock ticks. */
  cpuTicks: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(rest[1]), cpuTicks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

function readStatus(pid: number): { rssKb: number; hwmKb: number } {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  } catch {
    return { rssKb: 0, hwmKb: 0 };
  }
}

/** Proportional set size of one process, kB (0 when unreadable). */
function readPssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The pid and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface TreeSnapshot {
  at: number;
  /** CPU seconds per pid (user + system). */
  cpu: Map<number, number>;
}

export function snapshot(root: number): TreeSnapshot {
  const cpu = new Map<number, number>();
  for (const pid of processTree(root)) {
    const s = readStat(pid);
    if (s) cpu.set(pid, s.cpuTicks / ticksPerSecond());
  }
  return { at: performance.now(), cpu };
}

/** CPU used between two snapshots, in cores (1.0 = one core fully busy). */
export function cpuCores(before: TreeSnapshot, after: TreeSnapshot): number {
  let used = 0;
  for (const [pid, sec] of after.cpu) used += sec - (before.cpu.get(pid) ?? 0);
  const elapsed = (after.at - before.at) / 1000;
  return elapsed > 0 ? used / elapsed : 0;
}

export interface MemoryFigures {
  /** Largest sum of VmRSS over the tree seen while sampling, MiB. */
  peakRssMiB: number;
  /** Largest sum of PSS over the tree seen while sampling, MiB (shared pages counted once). */
  peakPssMiB: number;
  /** Sum of VmHWM (each process's own peak since it started), MiB. */
  hwmMiB: number;
  processes: number;
}

/** Sum of VmRSS over a process tree now, MiB. */
export function treeRssMiB(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) kb += readStatus(pid).rssKb;
  return +(kb / 1024).toFixed(1);
}

/** Samples a tree's memory every `intervalMs` until stopped. */
export function memorySampler(root: number, intervalMs = 250): { stop(): MemoryFigures } {
  let peakKb = 0;
  let peakPssKb = 0;
  let lastPids: number[] = [];
  const sample = () => {
    lastPids = processTree(root);
    let sum = 0;
    let pss = 0;
    for (const pid of lastPids) {
      sum += readStatus(pid).rssKb;
      pss += readPssKb(pid);
    }
    peakKb = Math.max(peakKb, sum);
    peakPssKb = Math.max(peakPssKb, pss);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      let hwm = 0;
      for (const pid of lastPids) hwm += readStatus(pid).hwmKb;
      return { peakRssMiB: +(peakKb / 1024).toFixed(1), peakPssMiB: +(peakPssKb / 1024).toFixed(1), hwmMiB: +(hwm / 1024).toFixed(1), processes: lastPids.length };
    },
  };
}

/** Measures CPU (cores) and memory of several named trees over the life of `fn`. */
export async function measureTrees<T>(roots: Record<string, number | undefined>, fn: () => Promise<T>): Promise<{ result: T; usage: Record<string, { cpuCores: number } & MemoryFigures> }> {
  const entries = Object.entries(roots).filter((e): e is [string, number] => typeof e[1] === 'number');
  const before = entries.map(([name, pid]) => ({ name, pid, snap: snapshot(pid), mem: memorySampler(pid) }));
  const result = await fn();
  const usage: Record<string, { cpuCores: number } & MemoryFigures> = {};
  for (const b of before) {
    const after = snapshot(b.pid);
    usage[b.name] = { cpuCores: +cpuCores(b.snap, after).toFixed(2), ...b.mem.stop() };
  }
  return { result, usage };
}

export function loadAverage(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [];
  }
}
