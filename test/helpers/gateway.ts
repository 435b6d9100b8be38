/**
 * End-to-end harness: a real central simulator and a real gateway node (data plane, admin plane,
 * delivery) in this process, sharing a fresh data directory and CA, plus mTLS clients holding
 * certificates and connection keys issued the way an operator would.
 */
import { eventually, tlsClient, type TlsClient } from './http.js';
export { tlsClient, eventually, type TlsClient, type HttpResult, type RequestOptions } from './http.js';
import type { ConfigInput } from '../../config/config.js';
import type { AppContext } from '../../core/context.js';
import { startGatewayNode, type GatewayNode, type NodeRoles } from '../../gateway/runtime.js';
import { ensurePki } from '../../certs/pki.js';
import { issueCertificate } from '../../certs/issue.js';
import { serverTlsMaterial } from '../../certs/material.js';
import { createKey, type CreateKeyInput } from '../../gateway/keys/service.js';
import { startCentralSim, type CentralSim } from '../../central-sim/server.js';
import { loadRemapRules, loadUnitTree } from '../../gateway/units/service.js';
import type { IssuedCertificate } from '../../certs/types.js';
import { testConfig, testContext, onCleanup, type StoreKind, CONTRACTS } from './env.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface LegacyClient extends TlsClient {
  keyId: string;
  connectionKey: string;
  softwareId: string;
  unitCode: string;
}

export interface Harness {
  ctx: AppContext;
  node: GatewayNode;
  sim: CentralSim;
  /** Data-plane base URL, e.g. https://127.0.0.1:PORT */
  url: string;
  adminUrl: string;
  /** Our CA chain (PEM) for clients to trust the gateway. */
  ca: string;
  legacyClient(spec: Partial<CreateKeyInput> & { vendor: string; softwareId?: string; unitCode?: string }): Promise<LegacyClient>;
  adminClient(role: 'network-admin' | 'auditor'): Promise<TlsClient>;
  signingCertFor(unit: string): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  store?: StoreKind;
  config?: ConfigInput;
  roles?: NodeRoles;
  /** Load the contract's sample re-mapping table and a unit tree that knows its codes (default true). */
  sampleUnits?: boolean;
  /** The unit tree loaded with the sample re-mapping table (default SAMPLE_TREE). */
  unitTree?: unknown[];
}

export { SAMPLE_TREE } from './tree.js';
import { SAMPLE_TREE } from './tree.js';

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const config = testConfig(options.store ?? 'sqlite', options.config ?? {});
  const ctx = await testContext(options.store ?? 'sqlite', config);
  await ensurePki(ctx);
  // The simulator gets its TLS material from this context: a second SQLite connection in the same
  // thread could deadlock with this one's write transactions.
  const sim = await startCentralSim({ config, listen: '127.0.0.1:0', tls: await serverTlsMaterial(ctx, 'central-sim') });
  onCleanup(() => sim.close());
  ctx.config.centralUrl = sim.url;
  if (options.sampleUnits !== false) {
    const rules = JSON.parse(readFileSync(path.join(CONTRACTS, 'national/unit-remap.sample.json'), 'utf8'));
    await loadRemapRules(ctx, rules, 'test');
    await loadUnitTree(ctx, options.unitTree ?? SAMPLE_TREE, 'test');
  }
  const node = await startGatewayNode(ctx, options.roles ?? { dataPlane: true, adminPlane: true, delivery: true });
  onCleanup(() => node.close());
  const chain = (await issueCertificate(ctx, { kind: 'client', cn: 'probe', unit: '000.00.00.H06' }, 'test')).chainPem;
  const clients: TlsClient[] = [];
  onCleanup(() => clients.forEach((c) => c.close()));
  const harness: Harness = {
    ctx,
    node,
    sim,
    url: `https://127.0.0.1:${node.dataPlane?.port}`,
    adminUrl: `https://127.0.0.1:${node.adminPlane?.port}`,
    ca: chain,
    async legacyClient(spec) {
      const softwareId = spec.softwareId ?? `PM-${spec.vendor}`;
      const unitCode = spec.unitCode ?? '000.00.00.H03';
      const cert = await issueCertificate(ctx, { kind: 'client', cn: softwareId, unit: unitCode }, 'test');
      const key = await createKey(ctx, { ...spec, softwareId, unitCode, vendor: spec.vendor } as CreateKeyInput, 'test');
      const client = tlsClient(cert, chain);
      clients.push(client);
      // A new key reaches the data plane within one refresh interval, as on every instance.
      if (node.dataPlane) {
        await eventually(async () => (await client.request(`https://127.0.0.1:${node.dataPlane!.port}/api/v1/whoami`, { headers: { 'x-connection-key': key.connectionKey } })).status === 200, 5000, 300);
      }
      return { ...client, keyId: key.keyId, connectionKey: key.connectionKey, softwareId, unitCode };
    },
    async adminClient(role) {
      const cert = await issueCertificate(ctx, { kind: 'admin', cn: `test-${role}`, role }, 'test');
      const client = tlsClient(cert, chain);
      clients.push(client);
      return client;
    },
    async signingCertFor(unit) {
      await issueCertificate(ctx, { kind: 'signing', cn: `Ký số ${unit}`, unit }, 'test');
    },
    async close() {
      clients.forEach((c) => c.close());
      await node.close();
      await sim.close();
    },
  };
  return harness;
}

export function sample(relative: string): string {
  return readFileSync(path.join(CONTRACTS, relative), 'utf8');
}
