/**
 * Identifiers the gateway hands out. Tracking ids sort by time (so operators can read age from
 * them and the outbox index stays append-mostly) and carry 64 random bits.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export const newRequestId = (): string => randomUUID();

export function newTrackingId(): string {
  return `TD${Date.now().toString(36).toUpperCase().padStart(9, '0')}${randomBytes(8).toString('hex').toUpperCase()}`;
}
