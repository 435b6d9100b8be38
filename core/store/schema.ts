/**
 * The store's tables, as Kysely sees them. Each area declares its row types in
 * tables/<area>.ts (its DDL is migrations/NNN_area.ts); this interface joins them so one
 * `Kysely<DB>` serves all.
 */
import type { CoreTables } from './tables/core.js';
import type { CertTables } from './tables/certs.js';
import type { KeyTables } from './tables/keys.js';
import type { AuditTables } from './tables/audit.js';
import type { DeliveryTables } from './tables/delivery.js';
import type { UnitTables } from './tables/units.js';
import type { DoiSoatTables } from './tables/doi-soat.js';

export interface DB extends CoreTables, CertTables, KeyTables, AuditTables, DeliveryTables, UnitTables, DoiSoatTables {}
