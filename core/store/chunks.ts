/**
 * `IN (…)` lists cut into parts both engines accept (SQLite's bound-parameter limit, PostgreSQL's
 * plan size): every query over a caller-sized list of ids goes through this.
 */
export function chunks<T>(items: readonly T[], size = 200): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
