/**
 * Refusals of the matching and reconciliation operations (CLI and admin API): a catalogue code
 * (core/errors.ts) with its HTTP status, and the operator's precise Vietnamese sentence. A
 * central database that does not answer is `CSDL_TRUNG_UONG_KHONG_SAN_SANG`; the centre's own
 * code stays in the sentence.
 */
import { OperatorError, type ErrorCode } from '../../core/errors.js';
import { CentralReadError } from './central-reads.js';

export class DoiSoatError extends OperatorError {
  constructor(code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'DoiSoatError';
  }
}

/** A failed read of the centre, as the operator is told: 404 as such, anything else "not available, try later". */
export function fromCentralRead(err: CentralReadError, what: string): DoiSoatError {
  if (err.status === 404) return new DoiSoatError('DON_VI_KHONG_CO_TAI_TRUNG_UONG', `${what}: CSDL quốc gia không biết đơn vị này (${err.message}, ${err.code})`);
  if (err.status !== undefined && err.status < 500 && err.status !== 429) return new DoiSoatError('CSDL_TRUNG_UONG_TU_CHOI_DOC', `${what}: CSDL quốc gia từ chối (${err.message}, ${err.code})`);
  return new DoiSoatError('CSDL_TRUNG_UONG_KHONG_SAN_SANG', `${what}: CSDL quốc gia tạm thời không trả lời (${err.message}, ${err.code}); chưa có gì thay đổi, hãy chạy lại sau`);
}
