/**
 * How the console writes times and numbers: Vietnam time (UTC+7, no daylight saving) whatever
 * the browser's own time zone, dates as dd/MM/yyyy, Vietnamese number grouping.
 */
const VN_OFFSET_MS = 7 * 3_600_000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function parts(value: string | number | Date): Date | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms + VN_OFFSET_MS) : undefined;
}

/** dd/MM/yyyy in Vietnam time. */
export function vnDate(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = parts(value);
  return d ? `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}` : String(value);
}

/** HH:mm:ss in Vietnam time. */
export function vnTime(value: string | number | Date): string {
  const d = parts(value);
  return d ? `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` : String(value);
}

/** dd/MM/yyyy HH:mm:ss in Vietnam time. */
export function vnDateTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return parts(value) ? `${vnDate(value)} ${vnTime(value)}` : String(value);
}

/** A calendar date as the store writes it (yyyy-MM-dd) shown as dd/MM/yyyy. */
export function isoDayToVn(day: string | undefined | null): string {
  const m = day ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(day) : null;
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (day ?? '—');
}

/** dd/MM/yyyy typed by a person → yyyy-MM-dd (what the API takes as a Vietnam-time day); undefined when empty; throws when malformed. */
export function vnDayToIso(text: string, label: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t);
  if (!m) throw new Error(`${label}: hãy nhập ngày dạng dd/MM/yyyy, ví dụ 31/12/2025`);
  return `${m[3]}-${pad(Number(m[2]))}-${pad(Number(m[1]))}`;
}

export const num = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n.toLocaleString('vi-VN'));

export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} giây`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} phút`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} giờ ${Math.floor((seconds % 3600) / 60)} phút`;
  return `${Math.floor(seconds / 86_400)} ngày ${Math.floor((seconds % 86_400) / 3600)} giờ`;
}
