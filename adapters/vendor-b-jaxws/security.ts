/**
 * WS-Security 1.0 as vendor B's JAX-WS clients send it: a UsernameToken with PasswordText
 * (Username = software id, Password = connection key) and a wsu:Timestamp whose Expires has not
 * passed and whose Created is not further in the future than the allowed clock skew (replay
 * protection). PasswordDigest is refused: the gateway keeps only hashes of key secrets.
 */
import { GatewayError } from '../../core/errors.js';
import type { XmlElement } from '../xml/parse.js';
import { attr, child } from '../xml/tree.js';

export const WSSE_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
export const WSU_NS = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const PASSWORD_TEXT = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText';

// xsd:dateTime with an explicit offset or Z; fractions allowed. Without an offset the instant is ambiguous.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;

export interface UsernameCredentials {
  softwareId?: string;
  key: string;
}

function keyError(internal: string): GatewayError {
  return new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE', {}, internal);
}

function expiredError(internal: string): GatewayError {
  return new GatewayError('THOI_HAN_THONG_DIEP', {}, internal);
}

function instant(el: XmlElement | undefined, what: string): number {
  const raw = el?.text.trim();
  if (!raw) throw expiredError(`timestamp without ${what}`);
  if (!DATE_TIME.test(raw)) throw expiredError(`unparseable ${what} ${raw.slice(0, 40)}`);
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw expiredError(`invalid ${what} ${raw.slice(0, 40)}`);
  return t;
}

/** Checks the Security header and returns the presented credentials. Throws GatewayError. */
export function readWsSecurity(header: XmlElement | undefined, now: Date, maxFutureSkewSeconds: number): UsernameCredentials {
  const security = header ? child(header, 'Security', WSSE_NS) : undefined;
  if (!security) throw keyError('no wsse:Security header');
  const token = child(security, 'UsernameToken', WSSE_NS);
  if (!token) throw keyError('no wsse:UsernameToken');
  const password = child(token, 'Password', WSSE_NS);
  const type = password ? attr(password, 'Type') : undefined;
  if (type !== undefined && type.trim() !== PASSWORD_TEXT) throw keyError(`unsupported password type ${type.slice(0, 120)}`);
  const key = password?.text.trim();
  if (!key) throw keyError('empty wsse:Password');

  const timestamp = child(security, 'Timestamp', WSU_NS);
  if (!timestamp) throw expiredError('no wsu:Timestamp');
  const nowMs = now.getTime();
  const created = instant(child(timestamp, 'Created', WSU_NS), 'Created');
  if (created > nowMs + maxFutureSkewSeconds * 1000) throw expiredError('Created too far in the future');
  const expiresEl = child(timestamp, 'Expires', WSU_NS);
  if (expiresEl) {
    const expires = instant(expiresEl, 'Expires');
    if (expires <= nowMs) throw expiredError('Expires has passed');
    if (expires < created) throw expiredError('Expires before Created');
  } else if (created + 2 * maxFutureSkewSeconds * 1000 < nowMs) {
    // Without Expires a captured message could be replayed forever; like WSS4J's default
    // time-to-live, it is treated as expiring a skew window after Created (plus the skew itself).
    throw expiredError('no Expires and Created too old');
  }
  const username = child(token, 'Username', WSSE_NS)?.text.trim();
  return { key, softwareId: username || undefined };
}
