/**
 * The Node flags `ndxp start` gives the data-plane workers it forks: the V8 heap sizes of
 * `config.workerMemory` (see there for why), each left out when the operator already set that
 * flag (NODE_OPTIONS or the primary's own command line), so an explicit choice always wins.
 */
import type { Config } from '../../config/config.js';

const FLAGS = {
  youngGenerationMiB: '--max-semi-space-size',
  heapMiB: '--max-old-space-size',
} as const;

/** True when `flag` (with either spelling, `-` or `_`) appears among `given`. */
function mentions(given: string[], flag: string): boolean {
  const norm = (s: string) => s.replace(/_/g, '-').split('=')[0];
  return given.some((g) => norm(g) === flag);
}

export function workerExecArgv(config: Pick<Config, 'workerMemory'>, execArgv: string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/).filter(Boolean)];
  const extra: string[] = [];
  for (const [setting, flag] of Object.entries(FLAGS) as [keyof typeof FLAGS, string][]) {
    const mib = config.workerMemory[setting];
    if (mib > 0 && !mentions(given, flag)) extra.push(`${flag}=${mib}`);
  }
  return [...execArgv, ...extra];
}
