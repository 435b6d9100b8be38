import type { Migration } from '../migrate.js';

// Placeholder: the owning area fills in its tables.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DeliveryTables {}

export const migration: Migration = {
  name: '005_delivery',
  async up() {},
};
