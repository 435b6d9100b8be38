/**
 * Shapes of the admin API's answers as the console reads them (see /openapi.json). Each is the
 * gateway's own type, imported type-only (erased by the build: nothing of the server reaches the
 * browser bundle), so a field changed on the server is a type error here instead of a silent
 * mismatch. Only answers the server builds ad hoc are described here, from the server's types.
 */
import type { AdminCaller, AdminRole } from '../../../core/admin-module';
import type { KeyView, KeyWithSecret } from '../../../gateway/keys/types';
import type { ImportReport } from '../../../gateway/keys/service';
import type { Lockout } from '../../../gateway/ratelimit/lockout';
import type { CertificateListing } from '../../../certs/registry';
import type { IssuedCertificate as IssuedFiles, TrustAnchor } from '../../../certs/types';
import type { StoredRemapRule } from '../../../gateway/units/service';
import type { DonVi } from '../../../adapters/national/profile';
import type { BreakerSnapshot } from '../../../gateway/delivery/breaker';
import type { DeadLetter, QueueStatus } from '../../../gateway/delivery/status';
import type { Overview, Series } from '../../../gateway/overview/types';
import type { AuditRecordView } from '../../../gateway/audit/search';
import type { ChainVerification } from '../../../gateway/audit/verify';

export type { KeyView, KeyWithSecret, ImportReport, Lockout, TrustAnchor, DeadLetter, QueueStatus, Overview, Series, ChainVerification };

export type Role = AdminRole;
export type Caller = AdminCaller;
export type Certificate = CertificateListing;
export type RemapRule = StoredRemapRule;
export type Unit = DonVi;
export type AuditEntry = AuditRecordView;
export type Breaker = BreakerSnapshot & { stale: boolean };

/** POST /certs answers the issued bundle without the server's file paths: the key only for other machines, PKCS#12 as base64. */
export type IssuedCertificate = Pick<IssuedFiles, 'serial' | 'subject' | 'notAfter' | 'certPem' | 'chainPem'> & { keyPem?: string; p12Base64?: string };
