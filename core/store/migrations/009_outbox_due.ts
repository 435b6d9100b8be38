import type { Migration } from '../migration.js';

export const migration: Migration = {
  name: '009_outbox_due',
  async up(db) {
    // The retry queue asks for the rows of one state that are due, oldest due first
    // (outbox.ts dueRows). With only (state, created_at) SQLite read every waiting row and sorted
    // them by due time on each look: after a two-minute outage during a national sync (≈ 90,000
    // rows waiting) that was up to a second per 200 rows, and the embedded queue drained at
    // ≈ 100 records/s. This index answers it as a range read that stops at the limit.
    await db.schema.createIndex('outbox_state_due').on('outbox').columns(['state', 'next_attempt_at', 'created_at']).execute();
  },
};
