/**
 * The data plane's connection key check. Every key lives in an in-memory cache, reloaded from the
 * store when revision 'keys' moves (config.keys.refreshIntervalMs; a suspension, cancellation or
 * rotation done on any instance reaches every other within one interval), so `validate` is
 * synchronous: a Map lookup, one HMAC and a constant-time compare per request.
 *
 * The caller learns one thing only: KHOA_KET_NOI_KHONG_HOP_LE. Whether the id exists, the secret
 * was wrong, the key is suspended, cancelled, expired, bound to another certificate, issued for
 * another front, software or operation: that goes to `internalReason` (logs, metrics, audit)
 * and to the `onReject` hook, never to the caller. The secret is checked before anything else
 * about the key, so a caller holding only a key id learns nothing about its status.
 */
import type { Operation, VendorId } from '../../adapters/types.js';
import type { Selectable } from 'kysely';
import type { AppContext } from '../../core/context.js';
import type { ConnectionKeyTable } from '../../core/store/tables/keys.js';
import { GatewayError } from '../../core/errors.js';
import { watchRevisions } from '../../core/store/revisions.js';
import { resolveOperations } from './fields.js';
import { subjectAttributes, subjectMatches } from './parse.js';
import { normalizeSerial } from '../../core/serial.js';
import { derivePepper, hashesEqual, hashSecret, parseToken, PEPPER_SETTING, pepperFingerprint } from './token.js';
import type { BodyRetention, KeyEncoding, KeyIdentity, KeyLimits, KeyRejectReason } from './types.js';

export type { KeyIdentity, KeyRejectReason } from './types.js';
export { KEY_REJECT_REASONS } from './types.js';

export interface PresentedKey {
  /** The connection key as the caller sent it ("<keyId>.<secret>", or a bare imported secret). */
  key?: string;
  /** Vendor B's UsernameToken Username: must equal the key's software id when given. */
  softwareId?: string;
}

export interface PeerCertificate {
  /** As Node reports getPeerCertificate().serialNumber (any hex spelling is accepted). */
  serial?: string;
  /** "CN=…,O=…", OpenSSL "/O=…/CN=…", or X509Certificate.subject (one attribute per line). */
  subject?: string;
}

export interface CallContext {
  /** The vendor front the request came through; omit for front-neutral calls (whoami). */
  front?: VendorId;
  /** The operation asked for; omit for calls that are no operation (whoami). */
  operation?: Operation;
}

export interface KeyValidator {
  /** Returns the key's identity, or throws GatewayError KHOA_KET_NOI_KHONG_HOP_LE with the real reason in internalReason. */
  validate(presented: PresentedKey, peer: PeerCertificate | undefined, call: CallContext): KeyIdentity;
  /**
   * Every check but the secret, for a key id the gateway itself vouched for (the subject of a
   * bearer token it issued after checking the secret): suspension, cancellation, expiry,
   * certificate binding, front and operation still apply at once.
   */
  validateKeyId(keyId: string, peer: PeerCertificate | undefined, call: CallContext): KeyIdentity;
  /** Notes a successful use; last-used times are written in batches, not per request. */
  touch(keyId: string): void;
  /** Re-reads the store now (the refresh interval does it on its own). */
  refresh(): Promise<void>;
  /** Writes pending last-used times now. */
  flush(): Promise<void>;
  /** Number of keys in the cache. */
  readonly size: number;
  /** Stops refreshing and writes pending last-used times. */
  stop(): Promise<void>;
}

export interface KeyValidatorOptions {
  /** Default: config.keys.refreshIntervalMs. */
  refreshIntervalMs?: number;
  /** How often last-used times are written. Default 5000 ms. */
  touchFlushIntervalMs?: number;
  /** Called for every refusal, e.g. to count ndxp_key_rejections_total{reason}. Must not throw. */
  onReject?: (reason: KeyRejectReason, info: { keyId?: string }) => void;
  /** Clock, for tests. */
  now?: () => number;
}

interface CachedKey {
  identity: KeyIdentity;
  hash: string;
  previousHash: string | null;
  previousValidUntil: number;
  status: string;
  expiresAt: number | null;
  certSerial: string | null;
  certSubject: string[] | null;
  operations: ReadonlySet<string>;
}

interface Cache {
  byId: Map<string, CachedKey>;
  /** Current and previous hashes → key, for clients configured with a bare (imported) secret. */
  byHash: Map<string, CachedKey>;
}

/** The columns the validator caches (the same list `reload` selects). */
const CACHED_COLUMNS = [
  'key_id',
  'secret_hash',
  'previous_secret_hash',
  'previous_valid_until',
  'software_id',
  'unit_code',
  'vendor',
  'encoding',
  'operations',
  'cert_serial',
  'cert_subject',
  'status',
  'expires_at',
  'body_retention',
  'limits',
] as const;
type CachedRow = Pick<Selectable<ConnectionKeyTable>, (typeof CACHED_COLUMNS)[number]>;

function toCached(row: CachedRow): CachedKey {
  const operations = resolveOperations(row.operations, row.vendor);
  let limits: KeyLimits | undefined;
  try {
    limits = row.limits ? (JSON.parse(row.limits) as KeyLimits) : undefined;
  } catch {
    limits = undefined;
  }
  const identity: KeyIdentity = {
    keyId: row.key_id,
    softwareId: row.software_id,
    unitCode: row.unit_code,
    vendor: row.vendor,
    encoding: row.encoding as KeyEncoding,
    operations: Object.freeze(operations),
    ...(row.cert_serial ? { certSerial: row.cert_serial } : {}),
    ...(row.cert_subject ? { certSubject: row.cert_subject } : {}),
    ...(row.expires_at !== null ? { expiresAt: new Date(Number(row.expires_at)).toISOString() } : {}),
    ...(row.body_retention ? { bodyRetention: row.body_retention as BodyRetention } : {}),
    ...(limits ? { limits: Object.freeze(limits) } : {}),
  };
  return {
    identity: Object.freeze(identity),
    hash: row.secret_hash,
    previousHash: row.previous_secret_hash,
    previousValidUntil: row.previous_valid_until === null ? 0 : Number(row.previous_valid_until),
    status: row.status,
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    certSerial: row.cert_serial,
    // An unreadable stored subject must never match anything: bind to an impossible attribute.
    certSubject: row.cert_subject ? (subjectAttributes(row.cert_subject) ?? ['\u0000=\u0000']) : null,
    operations: new Set(operations),
  };
}

export async function createKeyValidator(ctx: AppContext, options: KeyValidatorOptions = {}): Promise<KeyValidator> {
  const now = options.now ?? Date.now;
  const pepper = derivePepper(ctx.config);
  const fingerprint = pepperFingerprint(pepper);
  const log = ctx.log.child({ component: 'keys' });
  let cache: Cache = { byId: new Map(), byHash: new Map() };
  let pepperWarned = false;

  const reload = async (): Promise<void> => {
    const rows = await ctx.store.db
      .selectFrom('connection_keys')
      .select(CACHED_COLUMNS)
      .execute();
    const next: Cache = { byId: new Map(), byHash: new Map() };
    for (const row of rows) {
      const entry = toCached(row);
      next.byId.set(entry.identity.keyId, entry);
      next.byHash.set(entry.hash, entry);
      if (entry.previousHash) next.byHash.set(entry.previousHash, entry);
    }
    cache = next; // one assignment: a request sees the old cache or the new one, never a mix
    const stored = await ctx.store.db.selectFrom('settings').select('value').where('name', '=', PEPPER_SETTING).executeTakeFirst();
    if (stored && stored.value !== fingerprint) {
      if (!pepperWarned) {
        log.error(
          'Khóa chủ của phiên bản này khác với khóa chủ đã dùng khi cấp mã kết nối: mọi mã kết nối sẽ bị từ chối. Mọi phiên bản cổng dùng chung CSDL phải dùng cùng NDXP_MASTER_KEY',
          { code: 'KHOA_CHU_KHONG_KHOP' },
        );
      }
      pepperWarned = true;
    } else pepperWarned = false;
    log.debug('Đã nạp mã kết nối', { count: rows.length });
  };

  await reload(); // fail start-up loudly when the store cannot be read
  const watcher = watchRevisions(
    ctx.store,
    ['keys'],
    options.refreshIntervalMs ?? ctx.config.keys.refreshIntervalMs,
    () => reload(),
    (err) => log.warn('Không làm mới được mã kết nối; giữ các mã đang dùng', { err }),
  );

  // A key id the cache does not know may have been created a moment ago on another instance:
  // look at the store now rather than at the next interval (at most every 250 ms, so a flood of
  // made-up ids costs one small query per 250 ms), so the installation's retry gets through.
  let lastMissRefresh = 0;
  const refreshOnMiss = (): void => {
    const t = Date.now();
    if (t - lastMissRefresh < 250) return;
    lastMissRefresh = t;
    void watcher.poll();
  };

  const reject = (reason: KeyRejectReason, keyId?: string): never => {
    if (reason === 'unknown_key') refreshOnMiss();
    try {
      options.onReject?.(reason, { keyId });
    } catch {
      /* a metrics hook must not change the answer */
    }
    throw new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE', {}, reason);
  };

  const secretMatches = (entry: CachedKey, hash: string, at: number): boolean => {
    if (hashesEqual(hash, entry.hash)) return true;
    return entry.previousHash !== null && at < entry.previousValidUntil && hashesEqual(hash, entry.previousHash);
  };

  const validate = (presented: PresentedKey, peer: PeerCertificate | undefined, call: CallContext): KeyIdentity => {
    if (presented.key === undefined || presented.key === null || presented.key === '') return reject('missing_key');
    // Headers can arrive as arrays when repeated; anything but one string is malformed, never a crash.
    if (typeof presented.key !== 'string') return reject('malformed_key');
    const token = parseToken(presented.key);
    if (!token) return reject('malformed_key');
    const at = now();
    const { byId, byHash } = cache;
    let entry = token.keyId ? byId.get(token.keyId) : undefined;
    if (entry) {
      if (!secretMatches(entry, hashSecret(pepper, token.secret), at)) return reject('bad_secret', entry.identity.keyId);
    } else {
      // No known id in front: the whole text may be a bare secret from the Ministry's list.
      const hash = hashSecret(pepper, presented.key.trim());
      const candidate = byHash.get(hash);
      if (!candidate || !secretMatches(candidate, hash, at)) return reject('unknown_key', token.keyId);
      entry = candidate;
    }
    return checkKey(entry, presented.softwareId, peer, call, at);
  };

  /** Every check after the secret: status, expiry, certificate binding, front, software, operation. */
  const checkKey = (entry: CachedKey, softwareId: string | undefined, peer: PeerCertificate | undefined, call: CallContext, at: number): KeyIdentity => {
    const keyId = entry.identity.keyId;
    if (entry.status === 'cancelled') return reject('cancelled', keyId);
    if (entry.status !== 'active') return reject('suspended', keyId);
    if (entry.expiresAt !== null && at >= entry.expiresAt) return reject('expired', keyId);
    if (entry.certSerial !== null && (!peer?.serial || normalizeSerial(peer.serial) !== entry.certSerial)) return reject('cert_mismatch', keyId);
    if (entry.certSubject !== null && !subjectMatches(entry.certSubject, peer?.subject)) return reject('cert_mismatch', keyId);
    if (call.front !== undefined && call.front !== entry.identity.vendor) return reject('wrong_front', keyId);
    if (softwareId !== undefined && softwareId.trim() !== entry.identity.softwareId) return reject('software_mismatch', keyId);
    if (call.operation !== undefined && !entry.operations.has(call.operation)) return reject('operation_not_allowed', keyId);
    return entry.identity;
  };

  // Last-used times: kept in memory, written every few seconds. Not a revision bump: other
  // instances need not reload for it.
  const pending = new Map<string, number>();
  let flushing: Promise<void> | undefined;
  const flush = async (): Promise<void> => {
    if (flushing) await flushing;
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    flushing = (async () => {
      try {
        await ctx.store.db.transaction().execute(async (trx) => {
          for (const [keyId, usedAt] of batch) {
            await trx
              .updateTable('connection_keys')
              .set({ last_used_at: usedAt })
              .where('key_id', '=', keyId)
              .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', usedAt)]))
              .execute();
          }
        });
      } catch (err) {
        for (const [keyId, usedAt] of batch) if ((pending.get(keyId) ?? 0) < usedAt) pending.set(keyId, usedAt);
        log.warn('Không ghi được thời điểm dùng gần nhất của mã kết nối; sẽ thử lại', { err });
      } finally {
        flushing = undefined;
      }
    })();
    await flushing;
  };
  const flushTimer = setInterval(() => void flush(), options.touchFlushIntervalMs ?? 5000);
  flushTimer.unref();

  let stopped = false;
  const validateKeyId = (keyId: string, peer: PeerCertificate | undefined, call: CallContext): KeyIdentity => {
    const entry = cache.byId.get(keyId);
    if (!entry) return reject('unknown_key', keyId);
    return checkKey(entry, undefined, peer, call, now());
  };

  return {
    validate,
    validateKeyId,
    touch(keyId: string) {
      pending.set(keyId, now());
    },
    refresh: reload,
    flush,
    get size() {
      return cache.byId.size;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      watcher.stop();
      clearInterval(flushTimer);
      await flush();
    },
  };
}
