import { afterAll, describe, expect, it } from 'vitest';
import { STORE_KINDS, cleanup, testStore } from './helpers/env.js';
import { bumpRevision, readRevisions, watchRevisions } from '../core/store/revisions.js';
import { withWriteLock } from '../core/store/db.js';

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
});
