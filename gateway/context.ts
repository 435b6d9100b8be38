/**
 * What every command and every process of the gateway works with: the validated configuration,
 * the store, a logger, the audit trail and this node's name. Built once per process.
 */
import os from 'node:os';
import type { Config } from '../config/config.js';
import { openStore } from '../core/store/db.js';
import { createLogger, type Logger } from '../core/log.js';
import type { AppContext } from '../core/context.js';
import { createAuditTrail } from './audit/trail.js';
import { auditSigningIdentity } from '../certs/material.js';


export async function openContext(config: Config, options: { log?: Logger } = {}): Promise<AppContext> {
  const nodeName = config.nodeName ?? `${os.hostname()}:${process.pid}`;
  const log = options.log ?? createLogger({ node: nodeName });
  const store = await openStore(config);
  const audit = await createAuditTrail({
    store,
    config,
    log,
    nodeName,
    deploymentIdentity: (sink) => auditSigningIdentity({ config, store, log, audit: sink, nodeName }),
  });
  return { config, store, log, audit, nodeName };
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.audit.close();
  await ctx.store.close();
}
