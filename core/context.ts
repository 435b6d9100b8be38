/**
 * What every command and every process of the gateway works with: the validated configuration,
 * the store, a logger, the audit trail and this node's name. The type lives on the ground floor
 * so every area can take a context; building one (which needs the audit trail's implementation)
 * is the composition's job: gateway/context.ts.
 */
import type { Config } from '../config/config.js';
import type { Store } from './store/db.js';
import type { Logger } from './log.js';
import type { AuditSink } from './audit-sink.js';

export interface AppContext {
  config: Config;
  store: Store;
  log: Logger;
  audit: AuditSink;
  nodeName: string;
}
