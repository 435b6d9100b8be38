/**
 * Certificate serial numbers. Everywhere in the gateway (store, audit trail, key bindings,
 * revocation checks) a serial is written the way Node's TLS layer reports the peer's
 * `getPeerCertificate().serialNumber`: uppercase hex, no colons, no leading zeros. Keeping one
 * spelling means a per-request revocation check is a plain Set lookup.
 */
import { randomBytes } from 'node:crypto';

/**
 * A fresh serial: 16 random bytes (RFC 5280 allows up to 20 octets; CAs/B Forum asks for 64+
 * bits of entropy). The top bit is cleared so the DER INTEGER stays positive without a padding
 * byte, and the first nibble is non-zero so the hex string has no leading zero: the value we
 * store is then exactly what Node reports for the certificate, with no normalisation surprises.
 */
export function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  if (bytes[0] < 0x10) bytes[0] |= 0x10;
  return bytes.toString('hex').toUpperCase();
}

/** "0a:1B:..." / "0A1b..." / " 0x0a1b " → "A1B...". Returns "" for input that is not hex. */
export function normalizeSerial(serial: string): string {
  const hex = serial.trim().replace(/^0x/i, '').replace(/[:\s-]/g, '').toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex)) return '';
  const stripped = hex.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}

/** True when `serial` is a plausible serial in any accepted spelling. */
export function isSerial(serial: string): boolean {
  return normalizeSerial(serial) !== '';
}
