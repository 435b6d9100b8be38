/**
 * Reads V8 `.cpuprofile` files (node --cpu-prof) without a profiler UI: the top frames by self
 * time (text, to commit beside the run that produced them) and a small SVG flame graph. Shares of
 * a profile stay meaningful on a loaded machine, where wall-clock rates do not.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/** A frame's label: function, then the file relative to the repository (or the module's name). */
function label(f: CallFrame, root: string): string {
  let where = f.url.replace(/^file:\/\//, '');
  if (where.startsWith(root)) where = path.relative(root, where);
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (nm) where = nm[1];
  const fn = f.functionName || '(anonymous)';
  return where ? `${fn} ${where}${nm ? '' : `:${f.lineNumber + 1}`}` : fn;
}

/** Self time per node id, microseconds (each sample's delta goes to the node it hit). */
function selfTimes(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  return self;
}

export interface TopFrame {
  frame: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  /** Busy = total minus (idle) and (program) samples. */
  busyMs: number;
  top: TopFrame[];
  /** Self time grouped by where the code lives (a repository directory, a package, node: internals). */
  byArea: TopFrame[];
}

function area(f: CallFrame, root: string): string {
  const url = f.url.replace(/^file:\/\//, '');
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `package ${nm[1]}`;
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:internal.*/, 'node: internals');
  if (url.startsWith(root)) {
    const rel = path.relative(root, url).replace(/^dist\//, '');
    const parts = rel.split('/');
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  return f.functionName.startsWith('(') ? f.functionName : '(native / V8)';
}

/** Sums several profiles (one per process of a run) into one summary. */
export function summarize(profiles: CpuProfile[], root: string, topN = 40): ProfileSummary {
  const byFrame = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    for (const [id, us] of selfTimes(p)) {
      const f = nodes.get(id)!.callFrame;
      total += us;
      if (f.functionName === '(idle)' || f.functionName === '(program)') {
        idle += us;
        continue;
      }
      const l = label(f, root);
      byFrame.set(l, (byFrame.get(l) ?? 0) + us);
      const a = area(f, root);
      byArea.set(a, (byArea.get(a) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([frame, us]) => ({ frame, selfMs: +(us / 1000).toFixed(1), share: +(us / Math.max(1, busy)).toFixed(4) }));
  return { totalMs: +(total / 1000).toFixed(1), idleMs: +(idle / 1000).toFixed(1), busyMs: +(busy / 1000).toFixed(1), top: rank(byFrame, topN), byArea: rank(byArea, 25) };
}

export function summaryText(s: ProfileSummary, title: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  const lines = [
    title,
    `sampled ${s.totalMs} ms, busy ${s.busyMs} ms (idle and (program) left out; shares are of busy time)`,
    '',
    'self time by area:',
    ...s.byArea.map((t) => `${pct(t.share)}  ${String(t.selfMs).padStart(9)} ms  ${t.frame}`),
    '',
    'top frames by self time:',
    ...s.top.map((t) => `${pct(t.share)}  ${String(t.selfMs).padStart(9)} ms  ${t.frame}`),
  ];
  return lines.join('\n') + '\n';
}

interface Merged {
  name: string;
  us: number;
  children: Map<string, Merged>;
}

/**
 * A flame graph (root at the bottom, width = inclusive time) of the busy samples, merged by
 * frame label along each stack, as a self-contained SVG. Frames under 0.2 % are left out.
 */
export function flameGraphSvg(profiles: CpuProfile[], root: string, title: string, width = 1200): string {
  const top: Merged = { name: 'all', us: 0, children: new Map() };
  for (const p of profiles) {
    const nodes = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (const [id, us] of selfTimes(p)) {
      const f = nodes.get(id)!.callFrame;
      if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
      const stack: string[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
        const cf = nodes.get(cur)!.callFrame;
        if (cf.functionName === '(root)') break;
        stack.push(label(cf, root));
      }
      let m = top;
      m.us += us;
      for (let i = stack.length - 1; i >= 0; i--) {
        let c = m.children.get(stack[i]);
        if (!c) m.children.set(stack[i], (c = { name: stack[i], us: 0, children: new Map() }));
        c.us += us;
        m = c;
      }
    }
  }
  const rowH = 16;
  const minUs = top.us * 0.002;
  const rects: string[] = [];
  let depthMax = 0;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const colour = (name: string) => {
    let h = 0;
    for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    const hue = name.includes(' ') && !/node_modules|^\S+ [a-z@-]+$/.test(name) ? 20 + (h % 40) : 200 + (h % 40);
    return `hsl(${hue},70%,${60 + (h % 15)}%)`;
  };
  const draw = (m: Merged, x: number, depth: number) => {
    depthMax = Math.max(depthMax, depth);
    const w = (m.us / top.us) * width;
    rects.push({ x, depth, w, m } as never);
    let cx = x;
    for (const c of [...m.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      if (c.us >= minUs) draw(c, cx, depth + 1);
      cx += (c.us / top.us) * width;
    }
  };
  draw(top, 0, 0);
  const height = (depthMax + 1) * rowH + 40;
  const body = (rects as unknown as { x: number; depth: number; w: number; m: Merged }[])
    .map(({ x, depth, w, m }) => {
      const y = height - (depth + 1) * rowH - 10;
      const text = w > 40 ? `<text x="${(x + 3).toFixed(1)}" y="${y + 12}">${esc(m.name.slice(0, Math.floor(w / 6.5)))}</text>` : '';
      return `<g><title>${esc(m.name)} — ${((m.us / top.us) * 100).toFixed(1)} % (${(m.us / 1000).toFixed(0)} ms)</title><rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${rowH - 1}" fill="${colour(m.name)}"/>${text}</g>`;
    })
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="4" y="16" font-size="13">${esc(title)} (width = share of busy CPU time; hover for figures)</text>`,
    body,
    '</svg>',
  ].join('\n');
}
