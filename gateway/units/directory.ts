/**
 * The in-process unit directory: the re-mapping rules and the current unit tree of the store,
 * indexed in memory (adapters/national/remap.ts) so re-homing a code on the hot path costs a few
 * map look-ups. Every instance reloads when the 'units' revision moves (within
 * keys.refreshIntervalMs); a failed refresh keeps the cached rules in force.
 */
import type { AppContext } from '../../core/context.js';
import { watchRevisions } from '../../core/store/revisions.js';
import type { DonVi } from '../../adapters/national/profile.js';
import { vietnamDate } from '../../adapters/national/validate.js';
import { buildUnitIndex, resolveUnitCode, type RemapResult, type UnitIndex } from '../../adapters/national/remap.js';
import { loadUnitIndex } from './service.js';

export interface UnitDirectoryStats {
  exactRules: number;
  level1Rules: number;
  units: number;
  loadedAt: string | undefined;
}

export interface UnitDirectory {
  /** Re-homes one unit code; `pointer` is put on the issue it may return. */
  remap(code: string, pointer?: string): RemapResult;
  /** A unit of the current tree. */
  unit(code: string): DonVi | undefined;
  /** False while the tree table is empty. */
  treeLoaded(): boolean;
  stats(): UnitDirectoryStats;
  /** Re-reads rules and tree now (normally done on revision 'units'). */
  reload(): Promise<void>;
  stop(): void;
}

export interface UnitDirectoryOptions {
  refreshIntervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export async function createUnitDirectory(ctx: Pick<AppContext, 'store' | 'config' | 'log'>, options: UnitDirectoryOptions = {}): Promise<UnitDirectory> {
  const clock = options.now ?? Date.now;
  let index: UnitIndex = buildUnitIndex([], []);
  let loadedAt: string | undefined;

  const reload = async (): Promise<void> => {
    index = await loadUnitIndex(ctx);
    loadedAt = new Date(clock()).toISOString();
    ctx.log.debug('Đã nạp bảng đơn vị', { exact: index.exact.size, level1: index.level1.size, units: index.units.size });
  };

  await reload(); // fail start-up loudly when the store cannot be read
  const watcher = watchRevisions(
    ctx.store as AppContext['store'],
    ['units'],
    options.refreshIntervalMs ?? ctx.config.keys.refreshIntervalMs,
    () => reload(),
    (err) => ctx.log.warn('Không làm mới được bảng đơn vị; giữ bảng đang dùng', { err }),
  );

  // The Vietnam date changes once a day; computing it per call would allocate a Date per code.
  let todayCache = '';
  let todayUntil = 0;
  const today = (): string => {
    const t = clock();
    if (t >= todayUntil) {
      todayCache = vietnamDate(new Date(t));
      todayUntil = t + 60_000;
    }
    return todayCache;
  };

  return {
    remap: (code, pointer = '') => resolveUnitCode(index, code, today(), pointer),
    unit: (code) => index.units.get(code),
    treeLoaded: () => index.units.size > 0,
    stats: () => ({ exactRules: index.exact.size, level1Rules: index.level1.size, units: index.units.size, loadedAt }),
    reload,
    stop: () => watcher.stop(),
  };
}
