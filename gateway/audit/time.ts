/**
 * Time arguments of the audit CLI and admin API: epoch ms, ISO 8601, or a calendar date
 * (YYYY-MM-DD, Vietnam time: start of day for a lower bound, end of day for an upper bound).
 * A time without offset is Vietnam time too: that is what auditors here mean.
 */
import { OperatorError } from '../../core/errors.js';

export class TimeArgumentError extends OperatorError {
  constructor(message: string) {
    super('THAM_SO_KHONG_HOP_LE', message);
    this.name = 'TimeArgumentError';
  }
}

const VN_OFFSET = '+07:00';

export function parseTimeArg(value: string | undefined, edge: 'from' | 'to', name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^\d{10,}$/.test(value)) return Number(value);
  let ms: number;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    ms = Date.parse(`${value}T00:00:00.000${VN_OFFSET}`);
    if (edge === 'to' && Number.isFinite(ms)) ms += 86_400_000 - 1;
  } else {
    ms = Date.parse(/[zZ]$|[+-]\d{2}:?\d{2}$/.test(value) ? value : `${value}${VN_OFFSET}`);
  }
  if (!Number.isFinite(ms)) throw new TimeArgumentError(`${name} "${value}" không phải thời điểm hợp lệ (YYYY-MM-DD, ISO 8601 hoặc mili giây)`);
  return ms;
}
