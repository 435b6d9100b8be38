/**
 * The store's tables, as Kysely sees them. Each area declares its own tables beside its
 * migration (migrations/NNN_area.ts); this interface joins them so one `Kysely<DB>` serves all.
 */
import type { CoreTables } from './migrations/001_core.js';
import type { CertTables } from './migrations/002_certs.js';
import type { KeyTables } from './migrations/003_keys.js';
import type { AuditTables } from './migrations/004_audit.js';
import type { DeliveryTables } from './migrations/005_delivery.js';
import type { UnitTables } from './migrations/006_units.js';

export interface DB extends CoreTables, CertTables, KeyTables, AuditTables, DeliveryTables, UnitTables {}
