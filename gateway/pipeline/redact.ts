/**
 * What the audit trail may keep of one exchange's bodies: the request with every credential
 * replaced (the front's own `redactBody`, which knows where its protocol carries them and works
 * on bodies it could not read), then, on the request and the answer alike, every literal
 * occurrence of a credential the caller presented (the key the front read, X-Connection-Key,
 * a bearer token, HTTP Basic), in the body's byte forms (UTF-8, UTF-16LE/BE). A stored body is
 * decrypted for auditors and lands in exports: a connection key must never be among it.
 */
import type { IncomingCall, VendorFront } from '../../adapters/types.js';
import type { RequestMeta } from '../../core/http.js';
import { REDACTED } from '../../adapters/xml/redact.js';
import type { Logger } from '../../core/log.js';

/** Shorter values are not searched for: they would match ordinary text (and are not working keys). */
const MIN_SECRET_LENGTH = 8;

function headerValues(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Every credential value the caller presented, as presented (headers) and as the front read it (body). */
export function presentedSecrets(meta: RequestMeta, call?: IncomingCall): string[] {
  const values = new Set<string>();
  const add = (v: string | undefined) => {
    const s = v?.trim();
    if (s && s.length >= MIN_SECRET_LENGTH) values.add(s);
  };
  add(call?.credentials.key);
  add(call?.credentials.bearer);
  for (const v of headerValues(meta.headers['x-connection-key'])) add(v);
  for (const v of headerValues(meta.headers.authorization)) {
    const [scheme, rest = ''] = v.trim().split(/\s+(.*)/s);
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      add(decoded.slice(decoded.indexOf(':') + 1));
    }
    add(rest);
  }
  // A key `<keyId>.<secret>`: the secret alone is what must not survive.
  for (const v of [...values]) if (v.includes('.')) add(v.slice(v.indexOf('.') + 1));
  return [...values].sort((x, y) => y.length - x.length);
}

function replaceAll(buf: Buffer, needle: Buffer, by: Buffer): Buffer {
  let at = buf.indexOf(needle);
  if (at < 0) return buf;
  const parts: Buffer[] = [];
  let from = 0;
  while (at >= 0) {
    parts.push(buf.subarray(from, at), by);
    from = at + needle.length;
    at = buf.indexOf(needle, from);
  }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}

/** `body` with every occurrence of each value (UTF-8, UTF-16LE, UTF-16BE) replaced by `***`. */
export function scrubValues(body: Buffer, values: readonly string[]): Buffer {
  let out = body;
  // UTF-16 text of a key (ASCII) has zero bytes: without any, only the UTF-8 form can be there.
  const utf16 = body.includes(0);
  for (const v of values) {
    out = replaceAll(out, Buffer.from(v, 'utf8'), Buffer.from(REDACTED, 'utf8'));
    if (!utf16) continue;
    const le = Buffer.from(v, 'utf16le');
    const mark = Buffer.from(REDACTED, 'utf16le');
    out = replaceAll(out, le, mark);
    out = replaceAll(out, Buffer.from(le).swap16(), Buffer.from(mark).swap16());
  }
  return out;
}

/**
 * The request and response bodies as the trail may keep them. A request the front cannot redact
 * (its redactor failed) is not kept at all: better no body than one with a key in it.
 */
export function bodiesForAudit(
  front: VendorFront,
  meta: RequestMeta,
  call: IncomingCall | undefined,
  request: Buffer | undefined,
  response: string | Buffer,
  log: Logger,
): { request?: Buffer; response: Buffer } {
  const values = presentedSecrets(meta, call);
  let kept: Buffer | undefined;
  if (request) {
    try {
      kept = scrubValues(front.redactBody ? front.redactBody(request, meta) : request, values);
    } catch (err) {
      log.error('Không che được thông tin bí mật trong nội dung yêu cầu; nội dung không được lưu', { front: front.id, err: err as Error });
    }
  }
  return { request: kept, response: scrubValues(Buffer.isBuffer(response) ? response : Buffer.from(response, 'utf8'), values) };
}
