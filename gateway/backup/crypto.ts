/**
 * The backup file's envelope: AES-256-GCM under a key derived from the operator's passphrase with
 * scrypt. The file is `NDXP-BACKUP 1\n` + one JSON header line (KDF parameters, salt, IV, tag) +
 * the ciphertext of the gzipped payload; the header is authenticated too (GCM additional data),
 * so neither the parameters nor the content can be changed without the restore noticing.
 *
 * Why a passphrase and not the master key: a backup must open on a fresh machine whose master key
 * may be the one inside the backup.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

const MAGIC = 'NDXP-BACKUP 1\n';
/** scrypt cost: ~100 ms and 32 MiB here; stored in the header so it can grow without breaking old files. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1 };
export const MIN_PASSPHRASE_LENGTH = 12;

interface Header {
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'aes-256-gcm'; iv: string; tag: string };
}

/** A refusal of a backup file or passphrase, with the operator's code. */
export class BackupError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

function deriveKey(passphrase: string, kdf: Header['kdf']): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
}

export function sealBackup(payload: unknown, passphrase: string): Buffer {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new BackupError('MAT_KHAU_SAO_LUU_QUA_NGAN', `Mật khẩu bản sao lưu phải có ít nhất ${MIN_PASSPHRASE_LENGTH} ký tự`);
  const kdf = { name: 'scrypt' as const, ...SCRYPT, salt: randomBytes(16).toString('base64') };
  const iv = randomBytes(12);
  const plain = gzipSync(Buffer.from(JSON.stringify(payload), 'utf8'));
  // The tag is only known after encrypting, so the authenticated header omits it.
  const aad = Buffer.from(JSON.stringify({ kdf, iv: iv.toString('base64') }), 'utf8');
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, kdf), iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  const header: Header = { kdf, cipher: { name: 'aes-256-gcm', iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64') } };
  return Buffer.concat([Buffer.from(MAGIC + JSON.stringify(header) + '\n', 'utf8'), body]);
}

export function openBackup(file: Buffer, passphrase: string): unknown {
  const magic = Buffer.from(MAGIC, 'utf8');
  const newline = file.indexOf(0x0a, magic.length);
  if (!file.subarray(0, magic.length).equals(magic) || newline < 0) throw new BackupError('TEP_SAO_LUU_KHONG_HOP_LE', 'Tệp không phải bản sao lưu ndxp (thiếu phần đầu NDXP-BACKUP 1)');
  let header: Header;
  try {
    header = JSON.parse(file.subarray(magic.length, newline).toString('utf8')) as Header;
    if (header.kdf?.name !== 'scrypt' || header.cipher?.name !== 'aes-256-gcm') throw new Error('unknown algorithms');
  } catch {
    throw new BackupError('TEP_SAO_LUU_KHONG_HOP_LE', 'Phần đầu của tệp sao lưu bị hỏng');
  }
  const aad = Buffer.from(JSON.stringify({ kdf: header.kdf, iv: header.cipher.iv }), 'utf8');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', deriveKey(passphrase, header.kdf), Buffer.from(header.cipher.iv, 'base64'));
    decipher.setAAD(aad);
    decipher.setAuthTag(Buffer.from(header.cipher.tag, 'base64'));
    plain = Buffer.concat([decipher.update(file.subarray(newline + 1)), decipher.final()]);
  } catch {
    throw new BackupError('SAO_LUU_SAI_MAT_KHAU', 'Không mở được bản sao lưu: sai mật khẩu, hoặc tệp đã bị sửa hay bị cắt cụt');
  }
  return JSON.parse(gunzipSync(plain).toString('utf8'));
}
