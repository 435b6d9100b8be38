// TEMPORARY placeholder so the tree compiles while the audit trail (issue 5) is being written.
// It is replaced by the real hash-chained trail; nothing may ship with this file as it is.
import type { Config } from '../../config/config.js';
import type { Store } from '../store/db.js';
import type { Logger } from '../log.js';
import type { AuditEvent, AuditSink } from './types.js';

export async function createAuditTrail(_deps: { store: Store; config: Config; log: Logger; nodeName: string }): Promise<AuditSink> {
  return {
    record(_e: AuditEvent) {},
    async recordDurable(_e: AuditEvent) {},
    async flush() {},
    async close() {},
  };
}
