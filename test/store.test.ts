import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testStore } from './helpers/env.js';
import { bumpRevision, readRevisions, watchRevisions } from '../core/store/revisions.js';
import { withWriteLock } from '../core/store/db.js';
import { groupedTransaction } from '../core/store/group-commit.js';

afterAll(cleanup);

describe.each(STORE_KINDS)('store on %s', (kind) => {
  it('migrates and bumps revisions that a watcher sees', async () => {
    const store = await testStore(kind);
    const seen: string[] = [];
    const watcher = watchRevisions(store, ['keys', 'certs'], 50, (area) => {
      seen.push(area);
    });
    await watcher.poll();
    expect(seen.sort()).toEqual(['certs', 'keys']);
    await bumpRevision(store.db, 'keys');
    await bumpRevision(store.db, 'keys');
    expect((await readRevisions(store.db)).get('keys')).toBe(2);
    await watcher.poll();
    watcher.stop();
    expect(seen.filter((a) => a === 'keys')).toHaveLength(2);
  });

  it('serialises writers under the write lock', async () => {
    const store = await testStore(kind);
    await store.db.insertInto('settings').values({ name: 'counter', value: '0', updated_at: 0 }).execute();
    const increment = () =>
      withWriteLock(store, 'counter', async (trx) => {
        const row = await trx.selectFrom('settings').select('value').where('name', '=', 'counter').executeTakeFirstOrThrow();
        await trx.updateTable('settings').set({ value: String(Number(row.value) + 1) }).where('name', '=', 'counter').execute();
      });
    await Promise.all(Array.from({ length: 20 }, increment));
    const row = await store.db.selectFrom('settings').select('value').where('name', '=', 'counter').executeTakeFirstOrThrow();
    expect(row.value).toBe('20');
  });

  it('grouped transactions run in arrival order on SQLite, each sees the ones before, and a failing one fails alone', async () => {
    const store = await testStore(kind);
    const settings = (name: string) => store.db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
    // Each unit appends its name to a list row it reads first: the list shows the order they ran in.
    const unit = (name: string, fail = false) =>
      groupedTransaction(store, async (trx) => {
        const row = await trx.selectFrom('settings').select('value').where('name', '=', 'order').executeTakeFirst();
        const order = row ? `${row.value},${name}` : name;
        if (row) await trx.updateTable('settings').set({ value: order }).where('name', '=', 'order').execute();
        else await trx.insertInto('settings').values({ name: 'order', value: order, updated_at: 0 }).execute();
        await trx.insertInto('settings').values({ name: `unit-${name}`, value: order, updated_at: 0 }).execute();
        if (fail) throw new Error(`unit ${name} fails`);
        return order;
      });
    const outcomes = await Promise.allSettled([unit('a'), unit('b'), unit('c', true), unit('d'), unit('e')]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe('unit c fails');
    expect(await settings('unit-c')).toBeUndefined();
    // PostgreSQL runs them side by side as before (each its own transaction): no order to check.
    if (kind !== 'sqlite') return;
    const answers = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<string>).value);
    expect(answers).toEqual(['a', 'a,b', 'a,b,d', 'a,b,d,e']);
    // What each answered is what was committed; nothing of the failing unit was.
    expect((await settings('order'))?.value).toBe('a,b,d,e');
    expect(await settings('unit-c')).toBeUndefined();
    for (const [name, order] of [['a', 'a'], ['b', 'a,b'], ['d', 'a,b,d'], ['e', 'a,b,d,e']]) expect((await settings(`unit-${name}`))?.value).toBe(order);
  });
});
