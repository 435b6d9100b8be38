import type { Migration } from '../migrate.js';

// Placeholder: the owning area fills in its tables.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CertTables {}

export const migration: Migration = {
  name: '002_certs',
  async up() {},
};
