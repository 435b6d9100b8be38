/**
 * Shared set-up for the delivery tests: a real context (SQLite or PostgreSQL), the gateway's PKI
 * with a signing certificate for the sending unit, the real central simulator over mTLS, and
 * correctly signed national records (the simulator verifies chuKySo).
 */
import { sign as cryptoSign } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../core/context.js';
import type { HoSo } from '../adapters/national/profile.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { serverTlsMaterial, signingIdentity } from '../certs/material.js';
import { startCentralSim, type CentralSim } from '../central-sim/server.js';
import { canonicalJson } from '../central-sim/signature.js';
import { createDelivery, type DeliveryOptions, type DeliveryService } from '../gateway/delivery/delivery.js';
import type { Origin, ProfileSubmission } from '../gateway/delivery/types.js';
import type { ConfigInput } from '../config/config.js';
import { onCleanup, tempDir, testContext, type StoreKind, testConfig } from './helpers/env.js';
import { quietLogger } from '../core/log.js';

export const UNIT = '000.00.00.H06';

export const FAST_DELIVERY: NonNullable<ConfigInput['delivery']> = {
  // Generous: tests assert outcomes, not speed, on a machine shared by many test runs. Tests that
  // need "queued" pass a short deadline (or make the central database fail fast).
  syncDeadlineMs: 20_000,
  requestTimeoutMs: 5000,
  backoffBaseMs: 50,
  backoffMaxMs: 300,
  breakerFailureThreshold: 1000,
  breakerOpenMs: 300,
  relayIntervalMs: 150,
  maxAttempts: 50,
  concurrency: 4,
};

export interface DeliveryEnv {
  ctx: AppContext;
  sim: CentralSim;
  /** A context for delivery pointing at the simulator (same store, same PKI). */
  deliveryCtx(overrides?: { delivery?: Partial<AppContext['config']['delivery']>; redisUrl?: string; nodeName?: string }): AppContext;
  start(options?: DeliveryOptions & { delivery?: Partial<AppContext['config']['delivery']>; redisUrl?: string; nodeName?: string }): Promise<DeliveryService>;
  signed(soDinhDanh: string, ngayCapNhat: string, change?: Partial<HoSo>): Promise<HoSo>;
}

export async function deliveryEnv(kind: StoreKind, overrides: ConfigInput = {}): Promise<DeliveryEnv> {
  const ctx = await testContext(kind, testConfig(kind, { delivery: FAST_DELIVERY, centralToken: 'ma-truy-cap-thu-nghiem', ...overrides }));
  await ensurePki(ctx);
  await issueCertificate(ctx, { kind: 'signing', cn: `ky-so-${UNIT}`, unit: UNIT }, 'test');
  const identity = await signingIdentity(ctx, UNIT);
  // The simulator's server identity from this test's PKI (CRLs are the certs area's concern; the
  // gateway's own client certificate is never revoked here).
  const material = await serverTlsMaterial(ctx, 'central-sim');
  const sim = await startCentralSim({
    config: ctx.config,
    dataDir: tempDir('ndxp-sim-'),
    listen: '127.0.0.1:0',
    tls: { key: material.key, cert: material.cert, ca: material.ca },
    log: quietLogger(),
  });
  onCleanup(() => sim.close());
  const deliveryCtx: DeliveryEnv['deliveryCtx'] = (o = {}) => ({
    ...ctx,
    nodeName: o.nodeName ?? ctx.nodeName,
    config: { ...ctx.config, centralUrl: sim.url, redisUrl: o.redisUrl ?? ctx.config.redisUrl, delivery: { ...ctx.config.delivery, ...o.delivery } },
  });
  return {
    ctx,
    sim,
    deliveryCtx,
    async start(options = {}) {
      const { delivery, redisUrl, nodeName, ...opts } = options;
      const service = await createDelivery(deliveryCtx({ delivery, redisUrl, nodeName }), opts);
      onCleanup(() => service.close());
      return service;
    },
    async signed(soDinhDanh, ngayCapNhat, change = {}) {
      const unsigned: Omit<HoSo, 'chuKySo'> = {
        soDinhDanh,
        hoVaTen: 'Nguyễn Văn Đức',
        ngaySinh: '1985-03-12',
        gioiTinh: 1,
        danToc: '01',
        tonGiao: '00',
        ngayTuyenDung: '2010-09-15',
        donVi: { maDinhDanh: UNIT, ten: 'Sở Nội vụ' },
        ngachChucDanh: { ma: '01.003', ten: 'Chuyên viên' },
        luong: { bac: 3, heSo: 3.0, ngayHuong: '2023-01-01' },
        ngayCapNhat,
        nguon: { maPhanMem: 'PM-TEST', maDonViGui: UNIT, dinhDangGoc: 'vendor-a-asmx' },
        ...change,
      };
      const thoiDiemKy = new Date().toISOString();
      // thoiDiemKy is part of chuKySo, so it is not in the signed bytes.
      const data = Buffer.from(canonicalJson(unsigned), 'utf8');
      const giaTri = identity.alg === 'ES256'
        ? cryptoSign('sha256', data, { key: identity.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64')
        : cryptoSign('sha256', data, identity.privateKey).toString('base64');
      return { ...unsigned, chuKySo: { thuatToan: identity.alg, chungThu: identity.certDerBase64, giaTri, thoiDiemKy } } as HoSo;
    },
  };
}

export function origin(requestId = `req-${randomBytes(4).toString('hex')}`): Origin {
  return { requestId, keyId: 'k1', softwareId: 'PM-TEST', unitCode: UNIT, front: 'vendor-a-asmx' };
}

let seq = 0;
/** A fresh 12-digit personal id per call (unique within a run). */
export function newId(): string {
  seq += 1;
  return `0${String(Date.now() % 1e7).padStart(7, '0')}${String(seq).padStart(4, '0')}`.slice(0, 12);
}

export function trackingId(): string {
  return `T${randomBytes(8).toString('hex').toUpperCase()}`;
}

export function submission(record: HoSo, id = trackingId()): ProfileSubmission {
  return { trackingId: id, record, origin: origin() };
}

/** Polls until `check` returns true or the time is up (the test then fails on its own assertion). */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, stepMs = 100): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
