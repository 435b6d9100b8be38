/**
 * Nothing accepted is ever lost: a gateway process killed with SIGKILL in the middle of a
 * 10,000-record synchronisation (vendor B, 1,000 records per call, the central database slow so
 * that records are in every state at the moment of the kill) is restarted, and every record
 * the gateway had acknowledged reaches the central database, each applied exactly once — the
 * simulator's own counts are the proof.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACTS, cleanup, testConfig, testContext } from './helpers/env.js';
import { eventually } from './helpers/http.js';
import { gatewayEnv, startGatewayProcess, type GatewayProcess } from './helpers/processes.js';
import { ensurePki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { serverTlsMaterial } from '../certs/material.js';
import { createKey } from '../gateway/keys/service.js';
import { loadRemapRules, loadUnitTree } from '../gateway/units/service.js';
import { startCentralSim, type CentralSim } from '../central-sim/server.js';
import type { AppContext } from '../core/context.js';
import type { IssuedCertificate } from '../certs/types.js';
import { SAMPLE_TREE } from './helpers/tree.js';

const TOTAL = 10_000;
const PER_CALL = 1_000;

let ctx: AppContext;
let sim: CentralSim;
let cert: IssuedCertificate;
let key: string;

/** 12-digit personal ids that are consistent with the birth year and gender (province 001). */
function personalId(i: number): string {
  return `001090${String(i).padStart(6, '0')}`;
}

function payload(from: number, count: number): string {
  const employees: string[] = [];
  for (let i = from; i < from + count; i++) {
    employees.push(
      `<employee id="E-${i}"><personal><fullName>Nguyễn Văn Số ${i}</fullName><dob>1990</dob><sex>M</sex><nationalId>${personalId(i)}</nationalId><ethnicity code="01"/><religion code="00"/></personal>` +
        `<employment><orgUnit>000.05.31.H03</orgUnit><rank code="01.003"/><salary step="4" coefficient="3.33" since="2024-01-01"/></employment><modified>2025-08-21T07:45:12+07:00</modified></employee>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?><records xmlns="http://ws.vendor-b.vn/hrm/records/v2">${employees.join('')}</records>`;
}

function envelope(softwareId: string, connectionKey: string, batchId: string, records: string): string {
  const now = new Date();
  const expires = new Date(now.getTime() + 5 * 60_000);
  const esc = records.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:v2="http://ws.vendor-b.vn/hrm/sync/v2"><soap:Header><wsse:Security soap:mustUnderstand="true" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsu:Timestamp><wsu:Created>${now.toISOString()}</wsu:Created><wsu:Expires>${expires.toISOString()}</wsu:Expires></wsu:Timestamp><wsse:UsernameToken><wsse:Username>${softwareId}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${connectionKey}</wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><v2:submitRecords><batchId>${batchId}</batchId><orgCode>000.00.00.H03</orgCode><payload>${esc}</payload></v2:submitRecords></soap:Body></soap:Envelope>`;
}

function post(gw: GatewayProcess, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${gw.url}/hrm/sync/v2`, { method: 'POST', agent: false, cert: cert.certPem, key: cert.keyPem, ca: cert.chainPem, headers: { 'content-type': 'application/soap+xml; charset=UTF-8; action="urn:submitRecords"' }, timeout: 120_000 }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  const config = testConfig('sqlite');
  ctx = await testContext('sqlite', config);
  await ensurePki(ctx);
  await loadRemapRules(ctx, JSON.parse(readFileSync(path.join(CONTRACTS, 'national/unit-remap.sample.json'), 'utf8')), 'test');
  await loadUnitTree(ctx, SAMPLE_TREE, 'test');
  await issueCertificate(ctx, { kind: 'signing', cn: 'Ký số H06', unit: '000.00.00.H06' }, 'test');
  // Slow enough that, at the kill, some calls were answered, some records are queued, some in flight.
  sim = await startCentralSim({ config, listen: '127.0.0.1:0', tls: await serverTlsMaterial(ctx, 'central-sim'), faults: { latencyMs: 300 } });
  ctx.config.centralUrl = sim.url;
  cert = await issueCertificate(ctx, { kind: 'client', cn: 'HRM-B', unit: '000.00.00.H03' }, 'test');
  key = (await createKey(ctx, { softwareId: 'HRM-B', unitCode: '000.00.00.H03', vendor: 'vendor-b-jaxws' } as never, 'test')).connectionKey;
}, 120_000);

afterAll(async () => {
  await sim?.close();
  await cleanup();
});

describe('a gateway killed mid-batch', () => {
  it('delivers every acknowledged record exactly once after a restart', async () => {
    const env = gatewayEnv(ctx.config, { NDXP_CENTRAL_TOKEN: 'test-token', NDXP_SYNC_DEADLINE_MS: '500', NDXP_RATE_RPS: '1000', NDXP_RATE_RECORDS_PS: '100000' });
    let gw = await startGatewayProcess(env);
    const acknowledged = new Set<string>();
    const calls: Promise<void>[] = [];
    for (let c = 0; c < TOTAL / PER_CALL; c++) {
      const body = envelope('HRM-B', key, `B-${c}`, payload(c * PER_CALL, PER_CALL));
      calls.push(
        post(gw, body)
          .then((res) => {
            expect(res.status).toBe(200);
            for (const m of res.text.matchAll(/<recordId>E-(\d+)<\/recordId><status>(SYNCED|QUEUED)<\/status>/g)) acknowledged.add(personalId(Number(m[1])));
          })
          .catch(() => undefined), // calls cut by the kill: their records may or may not have been accepted
      );
    }
    // Kill once part of the batch was acknowledged and part was still being processed.
    await eventually(() => acknowledged.size >= 2 * PER_CALL, 120_000, 100);
    await gw.kill();
    await Promise.all(calls);
    const acknowledgedAtKill = acknowledged.size;
    expect(acknowledgedAtKill).toBeGreaterThan(0);
    expect(acknowledgedAtKill).toBeLessThan(TOTAL);

    await sim.resetFaults();
    gw = await startGatewayProcess(env);
    await eventually(
      () => {
        const stats = sim.stats();
        return [...acknowledged].every((id) => (stats.appliedBySoDinhDanh?.[id] ?? 0) >= 1);
      },
      180_000,
      500,
    );
    const stats = sim.stats();
    for (const id of acknowledged) expect(stats.appliedBySoDinhDanh?.[id]).toBe(1);
    expect(stats.duplicatesApplied).toBe(0);
    // Records of the calls the kill cut short were applied at most once too.
    expect(Math.max(...Object.values(stats.appliedBySoDinhDanh ?? {}))).toBe(1);
    await gw.stop();
  }, 420_000);
});
