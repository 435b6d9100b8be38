import type { Migration } from '../migration.js';
import { migration as core } from './001_core.js';
import { migration as certs } from './002_certs.js';
import { migration as keys } from './003_keys.js';
import { migration as audit } from './004_audit.js';
import { migration as delivery } from './005_delivery.js';
import { migration as units } from './006_units.js';
import { migration as doiSoat } from './007_doi_soat.js';
import { migration as jobLeases } from './008_job_leases.js';
import { migration as outboxDue } from './009_outbox_due.js';

/** In order. Append new migrations; never edit one that has shipped. */
export const migrations: Migration[] = [core, certs, keys, audit, delivery, units, doiSoat, jobLeases, outboxDue];
