/**
 * Change propagation between gateway instances sharing a store: writers bump an area's
 * revision in the same transaction as the change; readers poll `state_revisions` (one tiny
 * query) and reload the areas whose revision moved. Revocations, key changes and re-mapping
 * rules reach every instance within one poll interval (default 1 s).
 */
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';
import type { Store } from './db.js';

export type Area = 'certs' | 'keys' | 'trust' | 'units' | 'ratelimit';

export async function bumpRevision(db: Kysely<DB>, area: Area): Promise<void> {
  const at = Date.now();
  const updated = await db
    .updateTable('state_revisions')
    .set((eb) => ({ revision: eb('revision', '+', 1), updated_at: at }))
    .where('area', '=', area)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    await db
      .insertInto('state_revisions')
      .values({ area, revision: 1, updated_at: at })
      .onConflict((oc) => oc.column('area').doUpdateSet((eb) => ({ revision: eb('state_revisions.revision', '+', 1), updated_at: at })))
      .execute();
  }
}

export async function readRevisions(db: Kysely<DB>): Promise<Map<string, number>> {
  const rows = await db.selectFrom('state_revisions').select(['area', 'revision']).execute();
  return new Map(rows.map((r) => [r.area, Number(r.revision)]));
}

/**
 * Calls `onChange(area)` whenever an area's revision differs from the last one seen (and once
 * at start for every area). Returns a stop function. Errors (store briefly unreachable) are
 * reported to `onError` and polling continues: cached state stays in force meanwhile.
 */
export function watchRevisions(
  store: Store,
  areas: Area[],
  intervalMs: number,
  onChange: (area: Area) => Promise<void> | void,
  onError: (err: unknown) => void = () => undefined,
): { stop(): void; poll(): Promise<void> } {
  const seen = new Map<string, number>();
  let stopped = false;
  let running: Promise<void> | undefined;
  const poll = async (): Promise<void> => {
    if (running) return running;
    running = (async () => {
      try {
        const revisions = await readRevisions(store.db);
        for (const area of areas) {
          const rev = revisions.get(area) ?? 0;
          if (seen.get(area) !== rev) {
            await onChange(area);
            seen.set(area, rev);
          }
        }
      } catch (err) {
        onError(err);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void poll();
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
    poll,
  };
}
