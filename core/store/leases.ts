/**
 * Job leases in the store: a scheduled job that nodes sharing one store must not run side by
 * side (the daily matching fetch) runs on the node holding its lease. One portable statement on
 * SQLite and PostgreSQL (INSERT … ON CONFLICT DO UPDATE … WHERE): a free or expired lease is
 * taken, the holder's own is renewed, anybody else's is left alone. A holder that dies without
 * releasing it loses it when `until` passes.
 */
import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** Takes or renews the lease `name` for `owner` until now + `ms`; true when `owner` holds it afterwards. */
export async function takeLease(db: Kysely<DB>, name: string, owner: string, ms: number): Promise<boolean> {
  const now = Date.now();
  await db
    .insertInto('job_leases')
    .values({ name, owner, until: now + ms, updated_at: now })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ owner, until: now + ms, updated_at: now })
        .where((eb) => eb.or([eb('job_leases.until', '<', now), eb('job_leases.owner', '=', owner)])),
    )
    .execute();
  const row = await db.selectFrom('job_leases').select('owner').where('name', '=', name).executeTakeFirst();
  return row?.owner === owner;
}

/** Lets the lease go at once (the next node to ask takes it), when `owner` still holds it. */
export async function releaseLease(db: Kysely<DB>, name: string, owner: string): Promise<void> {
  await db.updateTable('job_leases').set({ until: 0, updated_at: Date.now() }).where('name', '=', name).where('owner', '=', owner).execute();
}
