/**
 * Assembles one gateway process from its parts and starts what it should run: the data plane
 * (mTLS listener + request pipeline), the admin plane, and delivery (queue workers + relay).
 * `ndxp start` runs everything in one process, or the admin plane in the cluster primary and
 * the data plane + delivery in one worker per core. Tests start nodes in-process with this too.
 *
 * Reading order for a newcomer, following one request:
 *   dataplane/server.ts → pipeline/routes.ts (the stage lists) → pipeline/stages/ in order
 *   (read-request: adapters/<vendor>/, authenticate: keys/validator.ts, execute: ratelimit/,
 *   pipeline/execute.ts → adapters/national/prepare.ts → delivery/delivery.ts → central
 *   database) → pipeline/epilogue.ts (answer via adapters/<vendor>/ renderResult, trail, metrics).
 */
import { AggregatorRegistry } from 'prom-client';
import cluster from 'node:cluster';
import { frontForPath } from '../adapters/registry.js';
import { certsAdminModule } from '../certs/admin.js';
import { ensurePki } from '../certs/pki.js';
import { serverTlsMaterial, centralClientIdentity, auditSigningIdentity } from '../certs/material.js';
import { scheduleRetention } from './audit/archive.js';
import { createCertWatcher } from '../certs/watch.js';
import { deriveSecret } from '../core/secrets.js';
import { keysAdminModule } from './keys/admin.js';
import { unitsAdminModule } from './units/admin.js';
import { queueAdminModule } from './delivery/admin.js';
import { createDelivery, type DeliveryService } from './delivery/delivery.js';
import { auditAdminModule } from './audit/admin.js';
import { doiSoatAdminModule } from './doi-soat/admin.js';
import { startDoiSoatSchedule } from './doi-soat/schedule.js';
import { bindStoreGauges } from './store-gauges.js';
import { createMismatchWarnings } from './doi-soat/warnings.js';
import { reconcileAdminModule } from './reconcile/admin.js';
import { rateLimitAdminModule } from './ratelimit/admin.js';
import { overviewAdminModule } from './overview/admin.js';
import { excelAdminModule } from './excel/admin.js';
import { createRateLimiter, type RateLimiter } from './ratelimit/index.js';
import type { AppContext } from '../core/context.js';
import { pingStore } from '../core/store/db.js';
import { checkRedis, safeRedisUrl } from './redis/check.js';
import { publicUrl, usesRedis } from '../config/config.js';
import { startDataPlane, type DataPlane } from './dataplane/server.js';
import { startAdminPlane, type AdminPlane } from './admin/server.js';
import { createPassThrough } from './dataplane/passthrough.js';
import { composePipeline } from './compose-pipeline.js';
import { rateLimited, registry } from '../core/metrics.js';

export interface NodeRoles {
  dataPlane: boolean;
  adminPlane: boolean;
  /** Queue workers and relay. */
  delivery: boolean;
}

export interface GatewayNode {
  dataPlane?: DataPlane;
  adminPlane?: AdminPlane;
  delivery?: DeliveryService;
  /** Stop accepting, finish in-flight work, close everything (graceful shutdown). */
  close(): Promise<void>;
}

const aggregator = new AggregatorRegistry();

export async function metricsExposition(clustered: boolean): Promise<{ contentType: string; body: string }> {
  if (clustered && cluster.isPrimary && Object.keys(cluster.workers ?? {}).length > 0) {
    const merged = await aggregator.clusterMetrics();
    return { contentType: aggregator.contentType, body: merged };
  }
  return { contentType: registry.contentType, body: await registry.metrics() };
}

export async function startGatewayNode(ctx: AppContext, roles: NodeRoles, options: { clustered?: boolean } = {}): Promise<GatewayNode> {
  const { config } = ctx;
  if (cluster.isWorker) AggregatorRegistry.setRegistries([registry]);
  await ensurePki(ctx);
  const certs = await createCertWatcher(ctx);
  const closers: (() => Promise<void> | void)[] = [() => certs.stop()];
  bindStoreGauges(ctx.store.db, config);
  closers.push(() => bindStoreGauges(undefined));
  const node: GatewayNode = {
    async close() {
      for (const fn of closers.reverse()) {
        try {
          await fn();
        } catch (err) {
          ctx.log.warn('Lỗi khi đóng', { err: err as Error });
        }
      }
    },
  };

  if (!config.centralToken) {
    // The central database wants `Authorization: Bearer <gateway token>` issued by its operator.
    // Without one configured, every node derives the same stand-in from the master key so a dev
    // setup (and the simulator, which accepts any token) works; production sets NDXP_CENTRAL_TOKEN.
    config.centralToken = deriveSecret(config, 'central-token').toString('base64url');
    if (roles.dataPlane || roles.delivery) ctx.log.warn('Chưa đặt NDXP_CENTRAL_TOKEN: dùng mã truy cập suy ra từ khóa chủ; hãy đặt mã do đơn vị vận hành CSDL quốc gia cấp', { code: 'THIEU_MA_TRUY_CAP_TRUNG_UONG' });
  }

  try {
    let delivery: DeliveryService | undefined;
    let limiter: RateLimiter | undefined;
    if (roles.dataPlane || roles.delivery) {
      delivery = await createDelivery(ctx, { worker: roles.delivery, relay: roles.delivery });
      node.delivery = delivery;
      closers.push(() => delivery!.close());
    }
    if (roles.delivery) {
      const doiSoat = startDoiSoatSchedule(ctx);
      closers.push(() => doiSoat.stop());
    }

    if (roles.dataPlane) {
      limiter = createRateLimiter(ctx, { onLimited: (reason) => rateLimited.inc({ reason }) });
      closers.push(() => limiter!.close());
      let url = publicUrl(ctx.config);
      const passThrough = createPassThrough(config.centralUrl, await centralClientIdentity(ctx), config.centralToken, config.delivery.requestTimeoutMs);
      const { pipeline, close: closePipeline } = await composePipeline(ctx, { certs, delivery: delivery!, limiter, passThrough, mismatches: createMismatchWarnings(ctx.store.db), publicUrl: () => url });
      closers.push(closePipeline);
      const dataPlane = await startDataPlane(ctx, { certs, tlsMaterial: () => serverTlsMaterial(ctx, 'dataplane'), frontForPath, pipeline });
      // When the data plane listens on an ephemeral port (tests), the WSDL address follows it.
      if (!config.publicUrl) url = publicUrl(ctx.config, dataPlane.port);
      node.dataPlane = dataPlane;
      closers.push(() => dataPlane.close());
    }

    if (roles.adminPlane) {
      // One process per node keeps the trail's housekeeping: the checkpoint signing key (created
      // now rather than on the first checkpoint) and retention archiving.
      void auditSigningIdentity(ctx).catch((err) => ctx.log.warn('Chưa có chứng thư ký nhật ký kiểm toán', { err: err as Error }));
      const retention = scheduleRetention(ctx, () => auditSigningIdentity(ctx));
      closers.push(() => retention.stop());
      const adminLimiter = limiter ?? createRateLimiter(ctx);
      if (!limiter) closers.push(() => adminLimiter.close());
      const adminPlane = await startAdminPlane(ctx, {
        tlsMaterial: () => serverTlsMaterial(ctx, 'admin'),
        certs,
        onCertChange: (cb) => certs.onChange(cb),
        modules: [keysAdminModule, certsAdminModule, unitsAdminModule, queueAdminModule, auditAdminModule, rateLimitAdminModule, doiSoatAdminModule, reconcileAdminModule, overviewAdminModule, excelAdminModule],
        metrics: () => metricsExposition(Boolean(options.clustered)),
        readiness: [
          { name: 'store', check: async () => (await pingStore(ctx.store), { backend: ctx.store.describe }) },
          {
            name: 'redis',
            // Embedded mode: no Redis to be ready for (queue in the store, limits in memory).
            check: async () => (usesRedis(config) ? (await checkRedis(config.redisUrl, 1000), { url: safeRedisUrl(config.redisUrl) }) : { mode: 'embedded' }),
          },
          {
            name: 'certificates',
            check: async () => {
              const warnings = certs.expiringSoon();
              return { loaded: true, warnings };
            },
          },
        ],
      });
      node.adminPlane = adminPlane;
      closers.push(() => adminPlane.close());
    }
  } catch (err) {
    await node.close();
    throw err;
  }
  return node;
}
