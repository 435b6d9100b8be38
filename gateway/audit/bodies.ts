/**
 * Reading a kept (encrypted) body back, for the auditor role only. The plaintext is checked
 * against the digest stored in the hashed entry, so a swapped or edited ciphertext is reported
 * as tampering, never shown as if it were what the client sent.
 */
import type { Config } from '../../config/config.js';
import type { Store } from '../../core/store/db.js';
import { OperatorError } from '../../core/errors.js';
import { sha256Hex } from './chain.js';
import { bodyAad, decryptBody, parseBodyKeys } from './protect.js';

export class AuditBodyError extends OperatorError {
  constructor(message: string, code: 'KHONG_TIM_THAY' | 'NOI_DUNG_KHONG_DUOC_LUU' | 'NOI_DUNG_BI_SUA' | 'KHOA_MA_HOA_NHAT_KY_KHONG_HOP_LE') {
    super(code, message);
    this.name = 'AuditBodyError';
  }
}

export interface DecryptedBody {
  seq: number;
  part: 'request' | 'response';
  sha256: string;
  body: Buffer;
}

export async function readAuditBody(store: Store, config: Pick<Config, 'audit'>, seq: number, part: 'request' | 'response'): Promise<DecryptedBody> {
  const row = await store.db
    .selectFrom('audit_entries')
    .select(['seq', 'request_body', 'response_body', 'request_sha256', 'response_sha256'])
    .where('seq', '=', seq)
    .executeTakeFirst();
  if (!row) throw new AuditBodyError(`Không tìm thấy bản ghi nhật ký ${seq}`, 'KHONG_TIM_THAY');
  const sealed = part === 'request' ? row.request_body : row.response_body;
  const digest = part === 'request' ? row.request_sha256 : row.response_sha256;
  if (!sealed || !digest) throw new AuditBodyError(`Bản ghi ${seq} không lưu nội dung ${part === 'request' ? 'yêu cầu' : 'trả lời'}`, 'NOI_DUNG_KHONG_DUOC_LUU');
  let body: Buffer;
  try {
    body = decryptBody(parseBodyKeys(config.audit.encryptionKeys), sealed, bodyAad(part, digest));
  } catch (err) {
    const e = err as Error & { code?: string };
    if (/Giải mã thất bại/.test(e.message)) throw new AuditBodyError(`Nội dung lưu của bản ghi ${seq} đã bị thay đổi`, 'NOI_DUNG_BI_SUA');
    throw new AuditBodyError(e.message, 'KHOA_MA_HOA_NHAT_KY_KHONG_HOP_LE');
  }
  if (sha256Hex(body) !== digest) throw new AuditBodyError(`Nội dung lưu của bản ghi ${seq} không khớp mã băm đã ghi`, 'NOI_DUNG_BI_SUA');
  return { seq, part, sha256: digest, body };
}
