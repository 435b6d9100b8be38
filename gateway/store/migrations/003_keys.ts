import type { Migration } from '../migrate.js';

// Placeholder: the owning area fills in its tables.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KeyTables {}

export const migration: Migration = {
  name: '003_keys',
  async up() {},
};
