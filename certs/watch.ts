/**
 * The in-memory view every gateway process keeps of the certificates area: which serials are
 * revoked, what each certificate is (kind, role, unit), the CA bundle (our CAs + trust anchors)
 * and the current CRL. Reloaded from the store whenever the 'certs' or 'trust' revision moves
 * (one tiny poll per `keys.refreshIntervalMs`, default 1 s), so a revocation made on any
 * instance or from the CLI is enforced everywhere within a poll, without restart.
 *
 * Hot-path lookups (`isRevoked`, `certificate`) are synchronous Map/Set reads.
 */
import type { AppContext } from '../core/context.js';
import type { AdminRole } from '../core/admin-module.js';
import { watchRevisions, type Area } from '../core/store/revisions.js';
import { loadCa } from './ca.js';
import { buildCrls } from './revocation.js';
import { normalizeSerial } from '../core/serial.js';
import { listTrustAnchors } from './trust.js';
import { CertError, type CertKind, type CertificateInfo, type RevocationReason } from './types.js';

export interface ExpiringCertificate {
  serial: string;
  kind: CertKind;
  cn: string;
  unit?: string;
  notAfter: string;
  daysLeft: number;
}

export interface CertWatcher {
  /** Serial in any spelling (Node's getPeerCertificate().serialNumber works as is). */
  isRevoked(serial: string): boolean;
  certificate(serial: string): CertificateInfo | undefined;
  /** Our root + issuing CA + trust anchors, PEM. */
  caBundle(): string[];
  /** Current CRL of the issuing CA (PEM); '' before the PKI exists. */
  crlPem(): string;
  /** Active certificates expiring within `config.tls.expiryWarningDays` (for listings and /readyz). */
  expiringSoon(): ExpiringCertificate[];
  /** True once the PKI exists and the first load succeeded (for /readyz). */
  ready(): boolean;
  /** Called (coalesced) after a reload changed something, and when the CRL is refreshed. */
  onChange(cb: () => void): void;
  /** Forces a poll now (tests, admin actions on this instance). */
  refresh(): Promise<void>;
  stop(): void;
}

/** How often the CRL is re-signed even without changes, so no consumer ever holds an expired one. */
const CRL_REFRESH_MS = 12 * 3600_000;

export async function createCertWatcher(ctx: AppContext): Promise<CertWatcher> {
  let index = new Map<string, CertificateInfo>();
  let revoked = new Set<string>();
  let bundle: string[] = [];
  let crl = '';
  let loaded = false;
  const listeners: (() => void)[] = [];
  let notifyScheduled = false;

  const notify = () => {
    if (notifyScheduled) return;
    notifyScheduled = true;
    setImmediate(() => {
      notifyScheduled = false;
      for (const cb of listeners) {
        try {
          cb();
        } catch (err) {
          ctx.log.error('Lỗi khi báo thay đổi chứng thư cho một bộ phận', { err });
        }
      }
    });
  };

  const loadCertificates = async () => {
    const rows = await ctx.store.db
      .selectFrom('certificates')
      .select(['serial', 'kind', 'subject', 'cn', 'unit_code', 'role', 'status', 'not_before', 'not_after', 'revoked_at', 'revocation_reason', 'fingerprint_sha256'])
      .execute();
    const nextIndex = new Map<string, CertificateInfo>();
    const nextRevoked = new Set<string>();
    for (const r of rows) {
      const info: CertificateInfo = {
        serial: r.serial,
        kind: r.kind as CertKind,
        subject: r.subject,
        cn: r.cn,
        unit: r.unit_code ?? undefined,
        role: (r.role as AdminRole | null) ?? undefined,
        status: r.status === 'revoked' ? 'revoked' : 'active',
        notBefore: Number(r.not_before),
        notAfter: Number(r.not_after),
        revokedAt: r.revoked_at === null ? undefined : Number(r.revoked_at),
        revocationReason: (r.revocation_reason as RevocationReason | null) ?? undefined,
        fingerprintSha256: r.fingerprint_sha256,
      };
      nextIndex.set(r.serial, info);
      if (info.status === 'revoked') nextRevoked.add(r.serial);
    }
    // Swap whole structures: readers never see a half-built index.
    index = nextIndex;
    revoked = nextRevoked;
  };

  const loadTrust = async () => {
    try {
      const ca = await loadCa(ctx.store.db, ctx.config);
      const anchors = await listTrustAnchors(ctx.store.db);
      bundle = [ca.root.certPem, ca.issuing.certPem, ...anchors.map((a) => a.pem)];
    } catch (err) {
      if (err instanceof CertError && err.code === 'PKI_CHUA_KHOI_TAO') {
        bundle = [];
        return;
      }
      throw err;
    }
  };

  const rebuildCrl = async () => {
    try {
      crl = (await buildCrls(ctx.store.db, ctx.config)).issuingPem;
    } catch (err) {
      if (err instanceof CertError && err.code === 'PKI_CHUA_KHOI_TAO') {
        crl = '';
        return;
      }
      throw err;
    }
  };

  const onArea = async (area: Area) => {
    if (area === 'certs') await loadCertificates();
    if (area === 'trust') await loadTrust();
    await rebuildCrl();
    loaded = bundle.length > 0;
    notify();
  };

  const watcher = watchRevisions(ctx.store, ['certs', 'trust'], ctx.config.keys.refreshIntervalMs, onArea, (err) =>
    ctx.log.warn('Không nạp lại được chứng thư; giữ trạng thái trước', { err }),
  );
  await watcher.poll();

  const crlTimer = setInterval(() => {
    rebuildCrl()
      .then(notify)
      .catch((err) => ctx.log.warn('Không làm mới được danh sách thu hồi (CRL)', { err }));
  }, CRL_REFRESH_MS);
  crlTimer.unref();

  const lookup = (serial: string): string => (index.has(serial) || revoked.has(serial) ? serial : normalizeSerial(serial));

  return {
    isRevoked(serial) {
      return revoked.has(serial) || revoked.has(normalizeSerial(serial));
    },
    certificate(serial) {
      return index.get(lookup(serial));
    },
    caBundle: () => bundle,
    crlPem: () => crl,
    expiringSoon() {
      const now = Date.now();
      const horizon = now + ctx.config.tls.expiryWarningDays * 86_400_000;
      const out: ExpiringCertificate[] = [];
      for (const c of index.values()) {
        if (c.status !== 'active' || c.notAfter < now || c.notAfter > horizon) continue;
        out.push({ serial: c.serial, kind: c.kind, cn: c.cn, unit: c.unit, notAfter: new Date(c.notAfter).toISOString(), daysLeft: Math.floor((c.notAfter - now) / 86_400_000) });
      }
      return out.sort((a, b) => a.notAfter.localeCompare(b.notAfter));
    },
    ready: () => loaded,
    onChange(cb) {
      listeners.push(cb);
    },
    refresh: () => watcher.poll(),
    stop() {
      watcher.stop();
      clearInterval(crlTimer);
      listeners.length = 0;
    },
  };
}
