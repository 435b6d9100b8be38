/**
 * Group commit for SQLite: units of work that each want their own write transaction and arrive
 * while one is running share the next transaction, run one after another inside it, and are
 * answered when it has committed. The store has one connection and every transaction there takes
 * the write lock (BEGIN IMMEDIATE), so such work already ran strictly one after another; running
 * several in one transaction is the same serial order with one BEGIN and one COMMIT (and one write
 * of each touched page to the WAL) instead of one per unit. A unit's result is only given after the
 * COMMIT that made it durable.
 *
 * If anything in a shared transaction fails, it is rolled back as a whole and every unit of it
 * runs again alone, so a failing unit fails by itself, exactly as it would have without grouping.
 * Units must therefore compute their result inside `work` (it may run twice, the first run
 * rolled back). PostgreSQL is left as it was (its pool runs transactions side by side).
 */
import type { Kysely } from 'kysely';
import type { Store } from './db.js';
import type { DB } from './schema.js';

/** Units per shared transaction: bounds how long one transaction holds the write lock. */
const MAX_GROUP = 32;

interface Unit {
  work: (trx: Kysely<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

interface Queue {
  waiting: Unit[];
  running: boolean;
}

const queues = new WeakMap<Store, Queue>();

/** Runs `work` in a write transaction, shared with other units waiting at the same time on SQLite. */
export function groupedTransaction<T>(store: Store, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  if (store.dialect !== 'sqlite') return store.db.transaction().execute(work);
  let q = queues.get(store);
  if (!q) queues.set(store, (q = { waiting: [], running: false }));
  const queue = q;
  return new Promise<T>((resolve, reject) => {
    queue.waiting.push({ work, resolve: resolve as (v: unknown) => void, reject });
    if (!queue.running) void drain(store, queue);
  });
}

async function drain(store: Store, q: Queue): Promise<void> {
  q.running = true;
  try {
    while (q.waiting.length > 0) {
      const group = q.waiting.splice(0, MAX_GROUP);
      if (group.length > 1 && (await together(store, group))) continue;
      for (const u of group) await alone(store, u);
    }
  } finally {
    q.running = false;
  }
}

/** The group in one transaction; false (rolled back, nobody answered) if any of it failed. */
async function together(store: Store, group: Unit[]): Promise<boolean> {
  let results: unknown[];
  try {
    results = await store.db.transaction().execute(async (trx) => {
      const out: unknown[] = [];
      for (const u of group) out.push(await u.work(trx));
      return out;
    });
  } catch {
    return false;
  }
  group.forEach((u, i) => u.resolve(results[i]));
  return true;
}

async function alone(store: Store, u: Unit): Promise<void> {
  try {
    u.resolve(await store.db.transaction().execute(u.work));
  } catch (err) {
    u.reject(err);
  }
}
