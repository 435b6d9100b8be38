/**
 * Refusals of the matching and reconciliation operations (CLI and admin API): an HTTP status
 * for the admin API, a stable machine code and a Vietnamese message for the operator. A central
 * database that does not answer is `CSDL_TRUNG_UONG_KHONG_SAN_SANG` with the underlying code.
 */
import { CentralReadError } from './central-reads.js';

export class DoiSoatError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DoiSoatError';
  }
}

/** A failed read of the centre, as the operator is told: 404 as such, anything else "not available, try later". */
export function fromCentralRead(err: CentralReadError, what: string): DoiSoatError {
  if (err.status === 404) return new DoiSoatError(404, err.code, `${what}: CSDL quốc gia không biết đơn vị này (${err.message})`);
  if (err.status !== undefined && err.status < 500 && err.status !== 429) return new DoiSoatError(502, err.code, `${what}: CSDL quốc gia từ chối (${err.message}, ${err.code})`);
  return new DoiSoatError(503, 'CSDL_TRUNG_UONG_KHONG_SAN_SANG', `${what}: CSDL quốc gia tạm thời không trả lời (${err.message}, ${err.code}); chưa có gì thay đổi, hãy chạy lại sau`);
}
