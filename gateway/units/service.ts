/**
 * The units service: the re-mapping rules and the current unit tree in the store (migration 006),
 * loaded by network admins (`ndxp units …`, /api/v1/admin/units…). Files are validated as a whole
 * by the pure readers in adapters/national/remap.ts and replace a table in one transaction;
 * single rules can be added, replaced and removed. Every change bumps revision 'units' (every
 * node's directory.ts reloads) and is an admin event in the audit trail.
 */
import type { AppContext } from '../../core/context.js';
import { bumpRevision } from '../../core/store/revisions.js';
import { withWriteLock } from '../../core/store/db.js';
import type { UnitTables } from '../../core/store/tables/units.js';
import type { DonVi } from '../../adapters/national/profile.js';
import type { Issue } from '../../adapters/national/validate.js';
import { buildUnitIndex, parseRemapRules, parseUnitTree, resolveUnitCode, UnitDataError, type RemapResult, type RemapRule, type UnitIndex } from '../../adapters/national/remap.js';
import { chunks } from '../../core/store/chunks.js';

export interface StoredRemapRule extends RemapRule {
  id: number;
  createdAt: string;
  createdBy: string;
}

/** A row of the units table as the contract's DonVi. */
export function unitFromRow(r: UnitTables['units']): DonVi {
  const u: DonVi = { maDinhDanh: r.ma_dinh_danh, ten: r.ten, cap: Number(r.cap), hieuLucTu: r.hieu_luc_tu };
  if (r.ma_don_vi_cha) u.maDonViCha = r.ma_don_vi_cha;
  if (r.hieu_luc_den) u.hieuLucDen = r.hieu_luc_den;
  if (r.ma_cu) u.maCu = JSON.parse(r.ma_cu) as string[];
  if (r.ngay_cap_nhat) u.ngayCapNhat = r.ngay_cap_nhat;
  return u;
}

export async function listRemapRules(ctx: Pick<AppContext, 'store'>): Promise<StoredRemapRule[]> {
  const rows = await ctx.store.db.selectFrom('unit_remap_rules').selectAll().orderBy('kind').orderBy('ma_cu').execute();
  return rows.map((r) => {
    const rule: StoredRemapRule = {
      id: Number(r.id),
      kind: r.kind,
      maCu: r.ma_cu,
      maMoi: r.ma_moi,
      tuNgay: r.tu_ngay,
      createdAt: new Date(Number(r.created_at)).toISOString(),
      createdBy: r.created_by,
    };
    if (r.ghi_chu !== null) rule.ghiChu = r.ghi_chu;
    return rule;
  });
}

export interface UnitListFilter {
  /** Only direct children of this unit. */
  parent?: string;
  /** Code prefix or a piece of the name (case- and diacritic-insensitive). */
  q?: string;
  limit?: number;
  offset?: number;
}

export async function listUnits(ctx: Pick<AppContext, 'store'>, filter: UnitListFilter = {}): Promise<{ total: number; units: DonVi[] }> {
  let query = ctx.store.db.selectFrom('units').selectAll();
  if (filter.parent) query = query.where('ma_don_vi_cha', '=', filter.parent);
  const rows = await query.orderBy('cap').orderBy('ma_dinh_danh').execute();
  let units = rows.map(unitFromRow);
  if (filter.q) {
    const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
    const q = fold(filter.q);
    units = units.filter((u) => fold(u.maDinhDanh).startsWith(q) || fold(u.ten).includes(q));
  }
  const total = units.length;
  const offset = filter.offset ?? 0;
  return { total, units: units.slice(offset, filter.limit === undefined ? undefined : offset + filter.limit) };
}

/**
 * What a code becomes on `date` (yyyy-MM-dd), read straight from the store rather than a node's
 * cache: what every node will answer after its next refresh.
 */
export async function resolveInStore(ctx: Pick<AppContext, 'store'>, code: string, date: string): Promise<RemapResult> {
  return resolveUnitCode(await loadUnitIndex(ctx), code, date);
}

/** The rules and the current tree as they are in the store now, indexed for the resolver (each node's directory caches one; one-off readers such as reconciliation load their own). */
export async function loadUnitIndex(ctx: Pick<AppContext, 'store'>): Promise<UnitIndex> {
  const [rules, units] = await Promise.all([listRemapRules(ctx), ctx.store.db.selectFrom('units').selectAll().execute()]);
  return buildUnitIndex(rules, units.map(unitFromRow));
}

// ---------------------------------------------------------------------------------------------
// Loading (replace-all, validated, audited)

export interface RemapLoadReport {
  exact: number;
  level1: number;
  total: number;
  /** How many rules the load replaced. */
  replaced: number;
}

export interface TreeLoadReport {
  units: number;
  /** Units that list replaced codes (maCu). */
  withOldCodes: number;
  replaced: number;
  warnings: Issue[];
}


function auditLoad(ctx: AppContext, operation: string, actor: string, outcome: string, details: Record<string, unknown>, code?: string): void {
  ctx.audit.record({ kind: 'admin', front: 'admin', operation, actor, target: operation.startsWith('units.remap') ? 'unit_remap_rules' : 'units', outcome, code, details });
}

/** Replaces all re-mapping rules with the document's, in one transaction; bumps revision 'units'. */
export async function loadRemapRules(ctx: AppContext, json: unknown, actor: string): Promise<RemapLoadReport> {
  let rules: RemapRule[];
  try {
    rules = parseRemapRules(json);
  } catch (err) {
    if (err instanceof UnitDataError) auditLoad(ctx, 'units.remap.load', actor, 'invalid', { errors: err.issues.length }, err.code);
    throw err;
  }
  const at = Date.now();
  const replaced = await withWriteLock(ctx.store, 'units', async (trx) => {
    const before = await trx.selectFrom('unit_remap_rules').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    await trx.deleteFrom('unit_remap_rules').execute();
    for (const part of chunks(rules)) {
      await trx
        .insertInto('unit_remap_rules')
        .values(part.map((r) => ({ kind: r.kind, ma_cu: r.maCu, ma_moi: r.maMoi, tu_ngay: r.tuNgay, ghi_chu: r.ghiChu ?? null, created_at: at, created_by: actor })))
        .execute();
    }
    await bumpRevision(trx, 'units');
    return Number(before?.n ?? 0);
  });
  const report: RemapLoadReport = {
    exact: rules.filter((r) => r.kind === 'exact').length,
    level1: rules.filter((r) => r.kind === 'level1').length,
    total: rules.length,
    replaced,
  };
  auditLoad(ctx, 'units.remap.load', actor, 'ok', { ...report });
  return report;
}

/**
 * Adds one rule, or replaces the rule with the same kind and old code (an edit without
 * re-loading the file). `json` has the file's rule shape ({maCu, maMoi, tuNgay, ghiChu?} or
 * {maCap1Cu, maCap1Moi, …}). The table must stay free of cycles.
 */
export async function upsertRemapRule(ctx: AppContext, json: unknown, actor: string): Promise<{ rule: StoredRemapRule; replaced: boolean }> {
  let rule: RemapRule;
  try {
    try {
      [rule] = parseRemapRules([json]);
    } catch (err) {
      // One rule, not a list: point at its members directly ("/maMoi", not "/0/maMoi").
      if (err instanceof UnitDataError) {
        const issues = err.issues.map((i) => ({ ...i, pointer: i.pointer.replace(/^\/0/, ''), field: i.field.replace(/^\/0/, ''), message: i.message.replace(/^Quy tắc 1: /, '') }));
        throw new UnitDataError(`Quy tắc chuyển đổi mã đơn vị không hợp lệ: ${issues.map((i) => i.message).join('; ')}`, issues);
      }
      throw err;
    }
    const others = (await listRemapRules(ctx)).filter((r) => !(r.kind === rule.kind && r.maCu === rule.maCu));
    // Re-check the whole table as it would be, so a cycle through existing rules is refused too.
    parseRemapRules({
      rules: [...others, rule].map((r) => (r.kind === 'exact' ? { maCu: r.maCu, maMoi: r.maMoi, tuNgay: r.tuNgay } : { maCap1Cu: r.maCu, maCap1Moi: r.maMoi, tuNgay: r.tuNgay })),
    });
  } catch (err) {
    if (err instanceof UnitDataError) auditLoad(ctx, 'units.remap.upsert', actor, 'invalid', { errors: err.issues.length }, err.code);
    throw err;
  }
  const at = Date.now();
  const replaced = await withWriteLock(ctx.store, 'units', async (trx) => {
    const deleted = await trx.deleteFrom('unit_remap_rules').where('kind', '=', rule.kind).where('ma_cu', '=', rule.maCu).executeTakeFirst();
    await trx
      .insertInto('unit_remap_rules')
      .values({ kind: rule.kind, ma_cu: rule.maCu, ma_moi: rule.maMoi, tu_ngay: rule.tuNgay, ghi_chu: rule.ghiChu ?? null, created_at: at, created_by: actor })
      .execute();
    await bumpRevision(trx, 'units');
    return Number(deleted.numDeletedRows) > 0;
  });
  const stored = (await listRemapRules(ctx)).find((r) => r.kind === rule.kind && r.maCu === rule.maCu)!;
  ctx.audit.record({ kind: 'admin', front: 'admin', operation: 'units.remap.upsert', actor, target: `${rule.kind}:${rule.maCu}`, outcome: 'ok', details: { maMoi: rule.maMoi, tuNgay: rule.tuNgay, replaced } });
  return { rule: stored, replaced };
}

/** Removes one rule by id; false when there is no such rule. */
export async function removeRemapRule(ctx: AppContext, id: number, actor: string): Promise<boolean> {
  const removed = await withWriteLock(ctx.store, 'units', async (trx) => {
    const row = await trx.selectFrom('unit_remap_rules').select(['kind', 'ma_cu', 'ma_moi']).where('id', '=', id).executeTakeFirst();
    if (!row) return undefined;
    await trx.deleteFrom('unit_remap_rules').where('id', '=', id).execute();
    await bumpRevision(trx, 'units');
    return row;
  });
  ctx.audit.record({
    kind: 'admin',
    front: 'admin',
    operation: 'units.remap.remove',
    actor,
    target: String(id),
    outcome: removed ? 'ok' : 'not_found',
    details: removed ? { kind: removed.kind, maCu: removed.ma_cu, maMoi: removed.ma_moi } : undefined,
  });
  return removed !== undefined;
}

/** Replaces the current unit tree with the document's, in one transaction; bumps revision 'units'. */
export async function loadUnitTree(ctx: AppContext, json: unknown, actor: string): Promise<TreeLoadReport> {
  let parsed: { units: DonVi[]; warnings: Issue[] };
  try {
    parsed = parseUnitTree(json);
  } catch (err) {
    if (err instanceof UnitDataError) auditLoad(ctx, 'units.tree.load', actor, 'invalid', { errors: err.issues.length }, err.code);
    throw err;
  }
  const at = Date.now();
  const replaced = await withWriteLock(ctx.store, 'units', async (trx) => {
    const before = await trx.selectFrom('units').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
    await trx.deleteFrom('units').execute();
    for (const part of chunks(parsed.units)) {
      await trx
        .insertInto('units')
        .values(
          part.map((u) => ({
            ma_dinh_danh: u.maDinhDanh,
            ten: u.ten,
            ma_don_vi_cha: u.maDonViCha ?? null,
            cap: u.cap,
            hieu_luc_tu: u.hieuLucTu,
            hieu_luc_den: u.hieuLucDen ?? null,
            ma_cu: u.maCu && u.maCu.length ? JSON.stringify(u.maCu) : null,
            ngay_cap_nhat: u.ngayCapNhat ?? null,
            updated_at: at,
            updated_by: actor,
          })),
        )
        .execute();
    }
    await bumpRevision(trx, 'units');
    return Number(before?.n ?? 0);
  });
  const report: TreeLoadReport = {
    units: parsed.units.length,
    withOldCodes: parsed.units.filter((u) => u.maCu && u.maCu.length > 0).length,
    replaced,
    warnings: parsed.warnings,
  };
  auditLoad(ctx, 'units.tree.load', actor, 'ok', { units: report.units, withOldCodes: report.withOldCodes, replaced, warnings: report.warnings.length });
  return report;
}
