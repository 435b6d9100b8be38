/**
 * A fresh deployment for one benchmark run, prepared the way an operator would (CA, client
 * certificates, connection keys, signing certificates, the unit re-mapping table), written into
 * a temporary data directory that the gateway and the simulator processes then use. Also writes
 * the PEM files nginx and the load generators need, so every contender sees the SAME server
 * certificate, CA and client certificates.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type ConfigInput } from '../../config/config.js';
import { openContext, closeContext } from '../../gateway/context.js';
import { type AppContext } from '../../core/context.js';
import { quietLogger } from '../../core/log.js';
import { ensurePki } from '../../certs/pki.js';
import { issueCertificate } from '../../certs/issue.js';
import { serverTlsMaterial, centralClientIdentity } from '../../certs/material.js';
import { createKey } from '../../gateway/keys/service.js';
import { loadRemapRules, loadUnitTree } from '../../gateway/units/service.js';
import type { KeyLimits } from '../../gateway/keys/types.js';

/** The contract's sample re-mapping (national/unit-remap.sample.json), copied so a checkout without ../shared runs. */
export const SAMPLE_REMAP = {
  rules: [
    { maCu: '000.00.00.H03', maMoi: '000.00.00.H06', tuNgay: '2025-07-01', ghiChu: 'tỉnh cũ sáp nhập vào tỉnh mới' },
    { maCu: '000.05.31.H03', maMoi: '000.05.31.H06', tuNgay: '2025-07-01' },
    { maCap1Cu: 'H03', maCap1Moi: 'H06', tuNgay: '2025-07-01', ghiChu: 'mọi đơn vị trực thuộc: thay mã cấp 1, giữ các cấp dưới' },
    { maCu: '000.12.00.H03', maMoi: '000.00.00.H06', tuNgay: '2025-07-01', ghiChu: 'cấp huyện bị bãi bỏ: hồ sơ chuyển về tỉnh' },
  ],
};

/** Units of the current tree that the samples end up in after re-mapping. */
export const SAMPLE_TREE = [
  { maDinhDanh: '000.00.00.H06', ten: 'UBND tỉnh (mới)', cap: 1, hieuLucTu: '2025-07-01', maCu: ['000.00.00.H03', '000.12.00.H03'] },
  { maDinhDanh: '000.05.31.H06', ten: 'Sở Nội vụ', maDonViCha: '000.00.00.H06', cap: 2, hieuLucTu: '2025-07-01', maCu: ['000.05.31.H03'] },
];

export interface ClientFiles {
  name: string;
  softwareId: string;
  unitCode: string;
  vendor: string;
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
  /** `<keyId>.<secret>` */
  connectionKey: string;
  keyId: string;
}

export interface Deployment {
  dir: string;
  dataDir: string;
  configFile: string;
  /** Environment for every child process (everything else comes from the config file). */
  env: Record<string, string>;
  ports: { gateway: number; admin: number; sim: number; simControl: number; nginx: number };
  files: { serverCert: string; serverKey: string; ca: string; crl: string; centralCert: string; centralKey: string };
  caPem: string;
  clients: Record<string, ClientFiles>;
  centralToken: string;
}

export interface ClientSpec {
  name: string;
  softwareId: string;
  unitCode: string;
  vendor: string;
  encoding?: 'unicode' | 'tcvn3';
  limits?: KeyLimits;
}

export interface PrepareOptions {
  dir: string;
  ports: Deployment['ports'];
  workers: number;
  clients: ClientSpec[];
  /** Units that get a signing certificate (records are signed in the sending unit's name). */
  signingUnits: string[];
  remap?: unknown;
  tree?: unknown;
  /** Extra configuration merged into the file (rate limits, delivery…). */
  config?: ConfigInput;
  /** Called with the open context before it is closed (e.g. to load a generated unit tree). */
  extra?: (ctx: AppContext) => Promise<void>;
}

/** Generous limits: throughput runs measure the gateway, not its rate limiter's refusals. */
export const UNTHROTTLED: ConfigInput['rateLimit'] = {
  requestsPerSecond: 1_000_000,
  recordsPerSecond: 100_000_000,
  unitRequestsPerSecond: 1_000_000,
  unitRecordsPerSecond: 100_000_000,
  concurrentPerKey: 4096,
};

function writeSecret(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

export async function prepareDeployment(o: PrepareOptions): Promise<Deployment> {
  const dataDir = path.join(o.dir, 'data');
  const pemDir = path.join(o.dir, 'pem');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  mkdirSync(pemDir, { recursive: true, mode: 0o700 });
  const centralToken = `bench-${randomBytes(12).toString('hex')}`;
  const fileConfig: ConfigInput = {
    ...o.config,
    dataDir,
    listen: `127.0.0.1:${o.ports.gateway}`,
    adminListen: `127.0.0.1:${o.ports.admin}`,
    centralUrl: `https://127.0.0.1:${o.ports.sim}`,
    centralListen: `127.0.0.1:${o.ports.sim}`,
    centralToken,
    redisPrefix: `ndxp-bench-${randomBytes(4).toString('hex')}`,
    workers: o.workers,
    tls: { serverNames: ['localhost', '127.0.0.1'] },
  };
  const configFile = path.join(o.dir, 'ndxp.config.json');
  writeSecret(configFile, JSON.stringify(fileConfig, null, 2));
  // The runner's own NDXP_* variables must not leak into the deployment under test.
  const env: Record<string, string> = { NDXP_CONFIG: configFile };
  if (process.env.REDIS_URL) env.REDIS_URL = process.env.REDIS_URL;
  const config = loadConfig({ file: configFile, env });
  const ctx = await openContext(config, { log: quietLogger() });
  try {
    await ensurePki(ctx);
    if (o.remap) await loadRemapRules(ctx, o.remap, 'bench');
    if (o.tree) await loadUnitTree(ctx, o.tree, 'bench');
    for (const unit of o.signingUnits) await issueCertificate(ctx, { kind: 'signing', cn: `Ký số ${unit}`, unit }, 'bench');

    const server = await serverTlsMaterial(ctx, 'dataplane');
    const central = await centralClientIdentity(ctx);
    const files = {
      serverCert: path.join(pemDir, 'server.crt'),
      serverKey: path.join(pemDir, 'server.key'),
      ca: path.join(pemDir, 'ca.pem'),
      crl: path.join(pemDir, 'ca.crl'),
      centralCert: path.join(pemDir, 'central-client.crt'),
      centralKey: path.join(pemDir, 'central-client.key'),
    };
    const caPem = server.ca.join('\n');
    writeFileSync(files.serverCert, server.cert);
    writeSecret(files.serverKey, server.key);
    writeFileSync(files.ca, caPem);
    writeFileSync(files.crl, (server.crl ?? []).join('\n'));
    writeFileSync(files.centralCert, central.cert);
    writeSecret(files.centralKey, central.key);

    const clients: Record<string, ClientFiles> = {};
    for (const c of o.clients) {
      const cert = await issueCertificate(ctx, { kind: 'client', cn: c.softwareId, unit: c.unitCode }, 'bench');
      const key = await createKey(
        ctx,
        { softwareId: c.softwareId, unitCode: c.unitCode, vendor: c.vendor, ...(c.encoding ? { encoding: c.encoding } : {}), ...(c.limits ? { limits: c.limits } : {}) },
        'bench',
      );
      const certFile = path.join(pemDir, `${c.name}.crt`);
      const keyFile = path.join(pemDir, `${c.name}.key`);
      writeFileSync(certFile, cert.certPem);
      writeSecret(keyFile, cert.keyPem);
      clients[c.name] = { ...c, certFile, keyFile, certPem: cert.certPem, keyPem: cert.keyPem, connectionKey: key.connectionKey, keyId: key.keyId };
    }
    await o.extra?.(ctx);
    return { dir: o.dir, dataDir, configFile, env, ports: o.ports, files, caPem, clients, centralToken };
  } finally {
    await closeContext(ctx);
  }
}
