/**
 * The gateway's declarative state, like Kong's decK: what a province keeps under review in its
 * own repository and applies with `ndxp state apply`. It holds what operators decide and nothing
 * secret — connection keys without their secrets (status and limits), certificates' status, the
 * unit re-mapping rules and the unit tree. Export writes it, diff compares a file with the store,
 * apply makes the store match the file through each area's own operations (so every change is
 * audited and reaches every node like any other).
 *
 * Not everything can be declared: a key or a certificate cannot come into being from a file
 * (a key's secret is issued by `keys create` and shown once; a certificate needs its key pair),
 * a cancelled key or a revoked certificate stays so. Such differences are listed as problems,
 * and apply then changes nothing.
 */
import type { AppContext } from '../../core/context.js';
import { bumpRevision } from '../../core/store/revisions.js';
import { withWriteLock } from '../../core/store/db.js';
import { listCertificates } from '../../certs/registry.js';
import { revokeCertificate } from '../../certs/revocation.js';
import { type RemapRule } from '../../adapters/national/remap.js';
import { listRemapRules, listUnits, loadRemapRules, loadUnitTree } from '../units/service.js';
import type { DonVi } from '../../adapters/national/profile.js';
import { activateKey, cancelKey, listKeys, suspendKey } from '../keys/service.js';
import type { KeyLimits, KeyStatus } from '../keys/types.js';

export const STATE_FORMAT = 'ndxp-state';

/** A state file that is not one; nothing was changed. */
export class StateFileError extends Error {
  readonly code = 'TEP_TRANG_THAI_KHONG_HOP_LE';
}

export interface StateKey {
  keyId: string;
  softwareId: string;
  unitCode: string;
  vendor: string;
  status: KeyStatus;
  certSerial: string | null;
  expiresAt: string | null;
  limits: KeyLimits | null;
}

export interface StateCertificate {
  serial: string;
  kind: string;
  cn: string;
  unitCode: string | null;
  status: 'active' | 'revoked';
  notAfter: string;
}

/** A re-mapping rule in the form `units remap load` reads. */
export type StateRule = { maCu: string; maMoi: string; tuNgay: string; ghiChu?: string } | { maCap1Cu: string; maCap1Moi: string; tuNgay: string; ghiChu?: string };

export interface GatewayState {
  format: typeof STATE_FORMAT;
  version: 1;
  keys: StateKey[];
  certificates: StateCertificate[];
  unitRemap: { rules: StateRule[] };
  units: DonVi[];
}

export interface StateChange {
  area: 'keys' | 'certificates' | 'unitRemap' | 'units';
  id: string;
  field: string;
  from: unknown;
  to: unknown;
}

export interface StateProblem {
  area: StateChange['area'];
  id: string;
  message: string;
}

export interface StateDiff {
  changes: StateChange[];
  /** Differences a file cannot make happen; apply refuses while there are any. */
  problems: StateProblem[];
  inSync: boolean;
}

function toStateRule(r: RemapRule): StateRule {
  const note = r.ghiChu ? { ghiChu: r.ghiChu } : {};
  return r.kind === 'exact' ? { maCu: r.maCu, maMoi: r.maMoi, tuNgay: r.tuNgay, ...note } : { maCap1Cu: r.maCu, maCap1Moi: r.maMoi, tuNgay: r.tuNgay, ...note };
}

/** Stable JSON (sorted keys, undefined dropped) for comparing declared and actual values. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}
const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);
const sortedRules = (rules: StateRule[]) => [...rules].map(canonical).sort();
const sortedUnits = (units: DonVi[]) => [...units].map(canonical).sort();

export async function exportState(ctx: AppContext): Promise<GatewayState> {
  const keys = (await listKeys(ctx)).map((k) => ({ keyId: k.keyId, softwareId: k.softwareId, unitCode: k.unitCode, vendor: k.vendor, status: k.status, certSerial: k.certSerial, expiresAt: k.expiresAt, limits: k.limits }));
  const certificates = (await listCertificates(ctx.store.db, ctx.config)).map((c) => ({
    serial: c.serial,
    kind: c.kind,
    cn: c.cn,
    unitCode: c.unit ?? null,
    status: c.status,
    notAfter: c.notAfter,
  }));
  return {
    format: STATE_FORMAT,
    version: 1,
    keys: keys.sort((a, b) => a.keyId.localeCompare(b.keyId)),
    certificates: certificates.sort((a, b) => a.serial.localeCompare(b.serial)),
    unitRemap: { rules: (await listRemapRules(ctx)).map(toStateRule) },
    units: (await listUnits(ctx)).units,
  };
}

export function parseState(json: unknown): GatewayState {
  const s = json as GatewayState;
  if (!s || s.format !== STATE_FORMAT || !Array.isArray(s.keys) || !Array.isArray(s.certificates) || !Array.isArray(s.unitRemap?.rules) || !Array.isArray(s.units)) {
    throw new StateFileError('Tệp không phải tài liệu trạng thái ndxp-state (cần format, keys, certificates, unitRemap.rules, units)');
  }
  return s;
}

export async function diffState(ctx: AppContext, desired: GatewayState): Promise<StateDiff> {
  const actual = await exportState(ctx);
  const changes: StateChange[] = [];
  const problems: StateProblem[] = [];

  const keys = new Map(actual.keys.map((k) => [k.keyId, k]));
  for (const want of desired.keys) {
    const have = keys.get(want.keyId);
    if (!have) {
      problems.push({ area: 'keys', id: want.keyId, message: 'Mã kết nối không có trên cổng kết nối; mã mới chỉ được cấp bằng ndxp keys create (khóa bí mật hiện một lần)' });
      continue;
    }
    for (const field of ['softwareId', 'unitCode', 'vendor', 'certSerial', 'expiresAt'] as const) {
      if (!same(have[field], want[field])) problems.push({ area: 'keys', id: want.keyId, message: `${field} khác (${String(have[field])} → ${String(want[field])}): đổi bằng ndxp keys import, không bằng tệp trạng thái` });
    }
    if (have.status !== want.status) {
      if (have.status === 'cancelled') problems.push({ area: 'keys', id: want.keyId, message: 'Mã kết nối đã hủy; hủy là vĩnh viễn' });
      else changes.push({ area: 'keys', id: want.keyId, field: 'status', from: have.status, to: want.status });
    }
    if (!same(have.limits, want.limits)) changes.push({ area: 'keys', id: want.keyId, field: 'limits', from: have.limits, to: want.limits });
  }

  const certs = new Map(actual.certificates.map((c) => [c.serial, c]));
  for (const want of desired.certificates) {
    const have = certs.get(want.serial);
    if (!have) problems.push({ area: 'certificates', id: want.serial, message: 'Chứng thư không có trên cổng kết nối; chứng thư chỉ được cấp bằng ndxp certs issue' });
    else if (have.status !== want.status) {
      if (have.status === 'revoked') problems.push({ area: 'certificates', id: want.serial, message: 'Chứng thư đã thu hồi; thu hồi là vĩnh viễn' });
      else changes.push({ area: 'certificates', id: want.serial, field: 'status', from: have.status, to: want.status });
    }
  }

  if (!same(sortedRules(actual.unitRemap.rules), sortedRules(desired.unitRemap.rules))) {
    changes.push({ area: 'unitRemap', id: '*', field: 'rules', from: actual.unitRemap.rules.length, to: desired.unitRemap.rules.length });
  }
  if (!same(sortedUnits(actual.units), sortedUnits(desired.units))) {
    changes.push({ area: 'units', id: '*', field: 'tree', from: actual.units.length, to: desired.units.length });
  }
  return { changes, problems, inSync: changes.length === 0 && problems.length === 0 };
}

/** Makes the store match `desired`; nothing is changed when the diff has problems. */
export async function applyState(ctx: AppContext, desired: GatewayState, actor: string): Promise<StateDiff> {
  const diff = await diffState(ctx, desired);
  if (diff.problems.length) return diff;
  const keysById = new Map(desired.keys.map((k) => [k.keyId, k]));
  for (const c of diff.changes) {
    if (c.area === 'keys' && c.field === 'status') {
      const reason = `ndxp state apply (${actor})`;
      if (c.to === 'active') await activateKey(ctx, c.id, actor);
      else if (c.to === 'suspended') await suspendKey(ctx, c.id, reason, actor);
      else if (c.to === 'cancelled') await cancelKey(ctx, c.id, reason, actor);
    } else if (c.area === 'keys' && c.field === 'limits') {
      const limits = keysById.get(c.id)!.limits;
      await ctx.audit.recordDurable({ kind: 'admin', front: 'admin', operation: 'keys.limits', actor, target: c.id, outcome: 'ok', details: { limits } });
      await withWriteLock(ctx.store, 'keys', async (trx) => {
        await trx.updateTable('connection_keys').set({ limits: limits ? JSON.stringify(limits) : null, updated_at: Date.now() }).where('key_id', '=', c.id).execute();
        await bumpRevision(trx, 'keys');
      });
    } else if (c.area === 'certificates') {
      await revokeCertificate(ctx, c.id, 'cessationOfOperation', actor);
    } else if (c.area === 'unitRemap') {
      await loadRemapRules(ctx, desired.unitRemap, actor);
    } else if (c.area === 'units') {
      await loadUnitTree(ctx, desired.units, actor);
    }
  }
  return diff;
}
