/**
 * Every refusal of the admin plane is a problem document (RFC 9457) whose code is in the one
 * catalogue (core/errors.ts), with the catalogue's status: one refusal of each kind from every
 * admin module, asked over the real admin listener with real admin certificates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness } from './helpers/gateway.js';
import type { HttpResult, TlsClient } from './helpers/http.js';
import { ERRORS } from '../core/errors.js';

let h: Harness;
let admin: TlsClient;
let auditor: TlsClient;
let stranger: TlsClient;

beforeAll(async () => {
  h = await startHarness();
  admin = await h.adminClient('network-admin');
  auditor = await h.adminClient('auditor');
  stranger = await h.legacyClient({ vendor: 'json', softwareId: 'NOT-ADMIN' });
}, 120_000);

afterAll(cleanup);

function call(client: TlsClient, method: string, path: string, body?: unknown): Promise<HttpResult> {
  const raw = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body);
  return client.request(`${h.adminUrl}/api/v1/admin${path}`, { method, headers: raw === undefined ? {} : { 'content-type': 'application/json' }, body: raw });
}

describe('admin plane refusals', () => {
  it('answer with a catalogue code and the catalogue status, whichever module refuses', async () => {
    const cases: [string, () => Promise<HttpResult>][] = [
      // admin server
      ['CHUNG_THU_QUAN_TRI_KHONG_HOP_LE', () => call(stranger, 'GET', '/keys')],
      ['KHONG_TIM_THAY', () => call(admin, 'GET', '/no-such-thing')],
      ['JSON_KHONG_HOP_LE', () => call(admin, 'POST', '/keys', '{"softwareId":')],
      ['KHONG_DUOC_PHEP', () => call(auditor, 'POST', '/keys', {})],
      // keys
      ['KHOA_KHONG_TON_TAI', () => call(admin, 'GET', '/keys/KNNOSUCHKEY')],
      ['THAM_SO_KHONG_HOP_LE', () => call(admin, 'POST', '/keys', { softwareId: 'PM-X', unitCode: '000.00.00.H06', vendor: 'no-such-vendor' })],
      // certificates
      ['MA_DON_VI_KHONG_HOP_LE', () => call(admin, 'POST', '/certs', { kind: 'client', cn: 'x', unit: 'bad unit' })],
      ['CHUNG_THU_KHONG_TON_TAI', () => call(admin, 'POST', '/certs/ABCDEF/revoke', { reason: 'keyCompromise' })],
      ['LY_DO_THU_HOI_KHONG_HOP_LE', () => call(admin, 'POST', '/certs/ABCDEF/revoke', {})],
      // delivery queue
      ['YEU_CAU_KHONG_HOP_LE', () => call(admin, 'GET', '/queue/dead?limit=0')],
      ['MA_THEO_DOI_KHONG_TON_TAI', () => call(admin, 'GET', '/tracking/TD0000000000000000000000000')],
      ['THIEU_LY_DO', () => call(admin, 'POST', '/queue/TD0000000000000000000000000/discard', {})],
      // abuse protection
      ['YEU_CAU_KHONG_HOP_LE', () => call(admin, 'DELETE', '/lockouts/not-an-id')],
      ['KHONG_TIM_THAY_TAM_KHOA', () => call(admin, 'DELETE', '/lockouts/addr:192.0.2.77')],
      // audit trail
      ['KHONG_TIM_THAY', () => call(auditor, 'GET', '/audit/entries/999999999')],
      ['THAM_SO_KHONG_HOP_LE', () => call(auditor, 'GET', '/audit/entries?from=not-a-time')],
      // workbooks (network-admin only)
      ['KHONG_DUOC_PHEP', () => call(auditor, 'POST', '/excel/submit?unit=000.00.00.H06&software=X', '')],
      // units
      ['QUY_TAC_KHONG_TON_TAI', () => call(admin, 'DELETE', '/units/remap-rules/rules/999999')],
    ];
    for (const [expected, ask] of cases) {
      const res = await ask();
      const doc = res.json();
      const spec = (ERRORS as Record<string, { httpStatus: number } | undefined>)[doc.code];
      expect({ expected, code: doc.code, inCatalogue: spec !== undefined }).toEqual({ expected, code: expected, inCatalogue: true });
      expect(doc).toMatchObject({ type: `urn:ndxp:loi:${expected}`, status: res.status, code: expected });
      expect(res.status, expected).toBe(spec!.httpStatus);
      expect(typeof doc.title === 'string' && doc.title.length > 0, expected).toBe(true);
    }
  });
});
