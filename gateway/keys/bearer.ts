/**
 * OAuth 2.0 client-credentials access tokens (RFC 6749 §4.4) for JSON clients, as the national
 * platform's gateways issue them: POST /token with the key id as client_id and the key's secret
 * as client_secret (HTTP Basic or form fields) returns a short-lived bearer token.
 *
 * Tokens are stateless (HMAC-SHA256 over key id + expiry with a secret every node derives from
 * the deployment's master key), so any gateway node accepts a token another node issued. A token
 * carries no rights of its own: every use re-checks the key it names, so suspending or
 * cancelling the key ends its tokens at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeComponent } from '../../core/http.js';

export interface TokenService {
  issue(keyId: string): { accessToken: string; expiresIn: number };
  /** The key id a valid, unexpired token names; undefined otherwise. */
  verify(token: string): string | undefined;
}

const PREFIX = 'ndxpat';

export function createTokenService(secret: Buffer, ttlSeconds = 600, now: () => number = Date.now): TokenService {
  const mac = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  return {
    issue(keyId) {
      const exp = Math.floor(now() / 1000) + ttlSeconds;
      const payload = Buffer.from(JSON.stringify({ k: keyId, exp, n: randomBytes(6).toString('base64url') })).toString('base64url');
      return { accessToken: `${PREFIX}.${payload}.${mac(payload)}`, expiresIn: ttlSeconds };
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== PREFIX) return undefined;
      const expected = Buffer.from(mac(parts[1]));
      const given = Buffer.from(parts[2]);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      try {
        const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { k?: unknown; exp?: unknown };
        if (typeof claims.k !== 'string' || typeof claims.exp !== 'number') return undefined;
        if (claims.exp * 1000 <= now()) return undefined;
        return claims.k;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Credentials of a token request: HTTP Basic, or client_id/client_secret form fields.
 * `malformed`: Basic credentials whose percent-encoding (RFC 6749 §2.3.1) cannot be decoded.
 */
export function clientCredentials(authorization: string | undefined, form: URLSearchParams): { clientId?: string; clientSecret?: string; malformed?: boolean } {
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) {
      const clientId = decodeComponent(decoded.slice(0, i));
      const clientSecret = decodeComponent(decoded.slice(i + 1));
      return clientId === undefined || clientSecret === undefined ? { malformed: true } : { clientId, clientSecret };
    }
  }
  return { clientId: form.get('client_id') ?? undefined, clientSecret: form.get('client_secret') ?? undefined };
}
