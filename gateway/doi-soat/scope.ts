/**
 * Which units a question is about. A unit's matching results and inventory cover the unit and
 * every unit below it; the gateway's copy of the unit tree (`units`, loaded by `ndxp units
 * load`) says which those are, and codes the tree does not know count as themselves only.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../core/store/schema.js';

/** The unit and its descendants in the gateway's unit tree (breadth-first, the unit first). */
export async function unitSubtree(db: Kysely<DB>, root: string): Promise<string[]> {
  const rows = await db.selectFrom('units').select(['ma_dinh_danh', 'ma_don_vi_cha']).execute();
  const children = new Map<string, string[]>();
  for (const r of rows) if (r.ma_don_vi_cha) children.set(r.ma_don_vi_cha, [...(children.get(r.ma_don_vi_cha) ?? []), r.ma_dinh_danh]);
  const out = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) {
    for (const c of children.get(out[i]) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        out.push(c);
      }
    }
  }
  return out;
}

/** Of a set of units, those no other member is an ancestor of (asking for them covers the rest). */
export async function topUnits(db: Kysely<DB>, units: string[]): Promise<string[]> {
  const rows = await db.selectFrom('units').select(['ma_dinh_danh', 'ma_don_vi_cha']).execute();
  const parent = new Map(rows.map((r) => [r.ma_dinh_danh, r.ma_don_vi_cha]));
  const set = new Set(units);
  return [...set]
    .filter((u) => {
      const seen = new Set<string>();
      for (let p = parent.get(u); p && !seen.has(p); p = parent.get(p)) {
        if (set.has(p)) return false;
        seen.add(p);
      }
      return true;
    })
    .sort();
}

