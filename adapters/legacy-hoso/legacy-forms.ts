/**
 * The HoSo dialect's legacy value forms (vendor A's, which vendor C copied) → national forms:
 * `dd/MM/yyyy` with `00` for unknown parts, `MM/yyyy`, local `dd/MM/yyyy HH:mm:ss`, decimal
 * commas. Each returns either the value or a Vietnamese reason, never throws.
 */

export type Converted<T> = { value: T } | { reason: string };

const DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{1,2})\/(\d{4})$/;
const DATE_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/;
const DIGITS = /^\d+$/;
const DECIMAL = /^\d{1,3}(?:[.,]\d{1,4})?$/;

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * Days in `month` (1-12) of `year`, as new Date(Date.UTC(year, month, 0)).getUTCDate() gave them
 * (years 0-99 are 1900-1999 there) without building a Date for every date of every record.
 */
function daysIn(year: number, month: number): number {
  const y = year >= 0 && year <= 99 ? 1900 + year : year;
  if (month === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function fullDate(y: number, m: number, d: number, raw: string): Converted<string> {
  if (m < 1 || m > 12) return { reason: `tháng ${m} không hợp lệ trong ${raw}` };
  if (d < 1 || d > daysIn(y, m)) return { reason: `ngày ${raw} không tồn tại` };
  return { value: `${y}-${pad2(m)}-${pad2(d)}` };
}

/**
 * `dd/MM/yyyy` → `yyyy-MM-dd`; `00/MM/yyyy` → `yyyy-MM`; `00/00/yyyy` → `yyyy` when `partial`
 * is allowed (birth dates), a reason otherwise. ISO `yyyy-MM-dd` is accepted as is.
 */
export function legacyDate(raw: string, partial: boolean): Converted<string> {
  const iso = ISO_DATE.exec(raw);
  if (iso) return fullDate(Number(iso[1]), Number(iso[2]), Number(iso[3]), raw);
  const m = DATE.exec(raw);
  if (!m) return { reason: `phải có dạng dd/MM/yyyy (nhận được «${raw.slice(0, 40)}»)` };
  const d = Number(m[1]);
  const mo = Number(m[2]);
  const y = Number(m[3]);
  if (d === 0 || mo === 0) {
    if (!partial) return { reason: `phải là ngày đầy đủ dd/MM/yyyy (nhận được «${raw}»)` };
    if (mo === 0 && d !== 0) return { reason: `thiếu tháng nhưng có ngày trong «${raw}»` };
    if (mo === 0) return { value: String(y) };
    if (mo > 12) return { reason: `tháng ${mo} không hợp lệ trong ${raw}` };
    return { value: `${y}-${pad2(mo)}` };
  }
  return fullDate(y, mo, d, raw);
}

/** `MM/yyyy` → `yyyy-MM` (also accepts `yyyy-MM`). */
export function legacyMonth(raw: string): Converted<string> {
  if (/^\d{4}-\d{2}$/.test(raw)) {
    const mo = Number(raw.slice(5));
    return mo >= 1 && mo <= 12 ? { value: raw } : { reason: `tháng không hợp lệ trong «${raw}»` };
  }
  const m = MONTH.exec(raw);
  if (!m) return { reason: `phải có dạng MM/yyyy (nhận được «${raw.slice(0, 40)}»)` };
  const mo = Number(m[1]);
  if (mo < 1 || mo > 12) return { reason: `tháng ${mo} không hợp lệ trong «${raw}»` };
  return { value: `${m[2]}-${pad2(mo)}` };
}

/** Local `dd/MM/yyyy HH:mm[:ss]` (Vietnam, UTC+7, no daylight saving) → RFC 3339 with `+07:00`. */
export function legacyLocalDateTime(raw: string): Converted<string> {
  const m = DATE_TIME.exec(raw);
  if (!m) return { reason: `phải có dạng dd/MM/yyyy HH:mm:ss (nhận được «${raw.slice(0, 40)}»)` };
  const date = fullDate(Number(m[3]), Number(m[2]), Number(m[1]), raw);
  if ('reason' in date) return date;
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = m[6] === undefined ? 0 : Number(m[6]);
  if (h > 23 || mi > 59 || s > 59) return { reason: `giờ không hợp lệ trong «${raw}»` };
  return { value: `${date.value}T${pad2(h)}:${pad2(mi)}:${pad2(s)}+07:00` };
}

/** `3,00` or `3.00` → 3. */
export function decimalComma(raw: string): Converted<number> {
  if (!DECIMAL.test(raw)) return { reason: `phải là số thập phân như 2,34 (nhận được «${raw.slice(0, 40)}»)` };
  return { value: Number(raw.replace(',', '.')) };
}

/** A non-negative integer of at most `digits` digits. */
export function integer(raw: string, digits = 4): Converted<number> {
  if (raw.length === 0 || raw.length > digits || !DIGITS.test(raw)) return { reason: `phải là số nguyên (nhận được «${raw.slice(0, 40)}»)` };
  return { value: Number(raw) };
}
