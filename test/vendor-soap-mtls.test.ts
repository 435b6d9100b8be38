/**
 * The generated SOAP clients (test/vendor-soap-clients.ts) through mutual TLS with certificates
 * from the gateway's own CA: the WSDL fetched from the served ?WSDL URL and every call travel over
 * the client certificate; a client without a certificate does not get through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { fronts } from '../adapters/registry.js';
import { initPki } from '../certs/pki.js';
import { issueCertificate } from '../certs/issue.js';
import { serverTlsMaterial } from '../certs/material.js';
import { cleanup, testContext } from './helpers/env.js';
import { startHarness, type Harness } from './vendor-harness.js';
import { callOptions, vendorAClient, vendorBClient } from './vendor-soap-clients.js';

let h: Harness;
let agent: https.Agent;
let anonymous: https.Agent;

beforeAll(async () => {
  const ctx = await testContext('sqlite');
  await initPki(ctx);
  const material = await serverTlsMaterial(ctx, 'dataplane');
  h = await startHarness(fronts, { tls: { ...material, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' } });
  const client = await issueCertificate(ctx, { kind: 'client', cn: 'qlcb-vendor-a', unit: '000.00.00.H03' }, 'test');
  agent = new https.Agent({ cert: client.certPem, key: client.keyPem, ca: material.ca, keepAlive: false });
  anonymous = new https.Agent({ ca: material.ca, keepAlive: false });
}, 120_000);

afterAll(async () => {
  await h?.close();
  agent?.destroy();
  anonymous?.destroy();
  await cleanup();
});

describe('generated SOAP clients over mutual TLS', () => {
  it('vendor A: WSDL fetched from the gateway, then TraCuuTrangThai', async () => {
    const o = { wsdlUrl: `${h.url}/QLCBService.asmx?WSDL`, httpsAgent: agent };
    const client = await vendorAClient({ ...o, key: 'kA.secret', unitCode: '000.00.00.H03' });
    const [result] = await client.TraCuuTrangThaiAsync({ maTheoDoi: 'TD-7' }, callOptions(o));
    expect(result.TraCuuTrangThaiResult).toMatchObject({ MaKetQua: 1, MaTheoDoi: 'TD-7' });
    expect(h.captured.at(-1)!.call?.credentials.key).toBe('kA.secret');
  });

  it('vendor B: submitRecords', async () => {
    const o = { endpoint: `${h.url}/hrm/sync/v2`, httpsAgent: agent };
    const client = await vendorBClient({ ...o, key: 'kB.secret', softwareId: 'HRM-B' });
    const payload = '<records xmlns="http://ws.vendor-b.vn/hrm/records/v2"><employee id="E-1"><personal><fullName>Trần Thị Hương</fullName></personal></employee></records>';
    const [result] = await client.submitRecordsAsync({ batchId: 'B-9', orgCode: '000.00.00.H03', payload }, callOptions(o));
    expect(result).toMatchObject({ batchId: 'B-9', accepted: 1, rejected: 0 });
  });

  it('a client without a certificate is turned away at the handshake', async () => {
    const before = h.captured.length;
    const o = { endpoint: `${h.url}/QLCBService.asmx`, httpsAgent: anonymous };
    const client = await vendorAClient({ endpoint: o.endpoint, key: 'kA.secret' });
    const failure = await client.TraCuuTrangThaiAsync({ maTheoDoi: 'x' }, callOptions(o)).then(() => undefined, (e: Error & { code?: string }) => e);
    // The TLS layer refused it (not DNS, not an HTTP answer).
    expect(failure).toBeDefined();
    expect((failure as { response?: unknown }).response).toBeUndefined();
    expect(String((failure as { code?: string }).code ?? failure?.message)).toMatch(/CERTIFICATE_REQUIRED|ECONNRESET|EPIPE/);
    await expect(client.TraCuuTrangThaiAsync({ maTheoDoi: 'x' }, callOptions(o)).then(() => 'answered', () => 'refused')).resolves.toBe('refused');
    expect(h.captured.length).toBe(before);
  });
});
