/**
 * Which units a connection key may act for: its own unit and the units below it. A key issued to
 * one province must never put records into another province's name (the central database would
 * store them under that unit, signed by the gateway). Codes are compared after the 2025
 * re-mapping, so a pre-2025 code of the key's unit (000.00.00.H03 → 000.00.00.H06) is the same unit.
 *
 * "Below" is read from the current unit tree (maDonViCha links). While no tree is loaded the only
 * thing left to go by is the code itself: a unit belongs to the key's province when the province
 * part of both codes is the same, and the record carries a warning saying so.
 */
import { GatewayError } from '../../core/errors.js';
import type { DonVi } from './profile.js';
import type { RemapResult } from './remap.js';
import type { Issue } from './validate.js';

/** What the scope check needs from the unit directory (createUnitDirectory). */
export interface ScopeDirectory {
  remap(code: string, pointer?: string): RemapResult;
  unit(code: string): DonVi | undefined;
  treeLoaded(): boolean;
}

/** A unit code checked against a key's scope: an error refuses the record, a warning does not. */
export interface ScopeCheck {
  error?: Issue;
  warning?: Issue;
}

export interface UnitScope {
  /** The key's unit, re-mapped to the current tree. */
  home: string;
  /** Checks a current (already re-mapped) unit code. */
  check(code: string, pointer: string): ScopeCheck;
  /** Checks a unit record (upsertUnit): its own code and the parent it declares, both current. */
  checkUnit(code: string | undefined, parent: string | undefined, pointers: { code: string; parent: string }): ScopeCheck;
}

/** Level-1 bodies (provinces, ministries) are a letter and digits: H06, G01. */
const LEVEL1 = /^[A-Z][0-9]+$/;
const MAX_DEPTH = 32;

/**
 * The province (level-1) part of a unit code: 000.05.31.H06 → H06, H29.12 → H29. A code without
 * such a group is its own province part, so it only matches itself.
 */
export function provincePart(code: string): string {
  const groups = code.split('.');
  for (let i = groups.length - 1; i >= 0; i--) if (LEVEL1.test(groups[i])) return groups[i];
  return code;
}

export function unitScope(directory: ScopeDirectory, keyUnit: string): UnitScope {
  const current = (code: string): string => {
    const r = directory.remap(code);
    return 'error' in r ? code : r.code;
  };
  const home = current(keyUnit);

  const outside = (code: string, pointer: string): ScopeCheck => {
    const err = new GatewayError('DON_VI_NGOAI_PHAM_VI', { unit: code, keyUnit: home });
    return { error: { pointer, field: pointer, code: err.code, message: err.display } };
  };

  /** Walks up the tree from `code`; true when the key's unit is on the way. */
  const underHome = (code: string): boolean => {
    const seen = new Set<string>();
    let unit = directory.unit(code);
    while (unit?.maDonViCha && !seen.has(unit.maDinhDanh) && seen.size < MAX_DEPTH) {
      seen.add(unit.maDinhDanh);
      const parent = current(unit.maDonViCha);
      if (parent === home) return true;
      unit = directory.unit(parent);
    }
    return false;
  };

  const check = (code: string, pointer: string): ScopeCheck => {
    if (code === home) return {};
    if (directory.treeLoaded()) return underHome(code) ? {} : outside(code, pointer);
    if (provincePart(code) !== provincePart(home)) return outside(code, pointer);
    return {
      warning: {
        pointer,
        field: pointer,
        code: 'PHAM_VI_THEO_MA_TINH',
        message: `Chưa nạp cây đơn vị hiện hành: đơn vị ${code} chỉ được đối chiếu với đơn vị ${home} của mã kết nối theo mã cấp tỉnh (${provincePart(home)})`,
      },
    };
  };

  return {
    home,
    check,
    checkUnit(code, parent, pointers) {
      // The key's own unit may be updated wherever its parent lies.
      if (code !== undefined && code === home) return {};
      // A unit already in the tree must be in scope where it is now …
      if (code !== undefined && (!directory.treeLoaded() || directory.unit(code))) {
        const own = check(code, pointers.code);
        if (own.error) return own;
      }
      // … and stay in scope where the record puts it (a new unit is known by its parent only).
      if (parent === undefined) return code === undefined ? {} : outside(code, pointers.code);
      return parent === home ? {} : check(parent, pointers.parent);
    },
  };
}
