/**
 * The simulator's own RFC 8785 canonicalisation (checked against the RFC's examples, since the
 * signed bytes depend on it) and its signature verifier on its own: tampering, expiry, chains.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson as gatewayCanonicalJson, signRecord } from '../adapters/national/sign.js';
import type { HoSoChuaKy } from '../adapters/national/profile.js';
import { signingIdentity } from '../certs/material.js';
import { startCentralSim } from '../central-sim/server.js';
import { closeContext, openContext } from '../gateway/context.js';
import { quietLogger } from '../core/log.js';
import { cleanup } from './helpers/env.js';
import { canonicalJson, createSignatureVerifier } from '../central-sim/signature.js';
import { versionKey } from '../central-sim/api.js';
import { foreignEcSigner, profile, simClient, simPki, unsignedProfile } from './central-sim.helpers.js';

afterAll(cleanup);

describe('canonicalJson (RFC 8785)', () => {
  it('matches the RFC 8785 section 3.2.2 example', () => {
    const input = JSON.parse(
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}',
    );
    expect(canonicalJson(input)).toBe('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
  });

  it('sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)', () => {
    const input = JSON.parse('{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", "\\u00f6": "Latin Small Letter O With Diaeresis"}');
    // Read the order off the text: JSON.parse would move the integer-like key "1" first.
    const values = [...canonicalJson(input).matchAll(/:"([^"]*)"/g)].map((m) => m[1]);
    expect(values).toEqual(['Carriage Return', 'One', 'Control', 'Latin Small Letter O With Diaeresis', 'Euro Sign', 'Emoji: Grinning Face', 'Hebrew Letter Dalet With Dagesh']);
  });

  it('refuses lone surrogates, as I-JSON requires', () => {
    expect(() => canonicalJson({ a: 'x\ud800' })).toThrow(TypeError);
  });

  it('agrees with the gateway signer\'s independent implementation on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(gatewayCanonicalJson(value));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps Vietnamese text as UTF-8 characters, not escapes', () => {
    expect(canonicalJson({ hoVaTen: 'Nguyễn Văn Đức', a: [1, 2.5, -0] })).toBe('{"a":[1,2.5,0],"hoVaTen":"Nguyễn Văn Đức"}');
  });
});

describe('versionKey', () => {
  it('orders instants, not strings', () => {
    expect(versionKey('2025-08-20T10:15:00+07:00')).toBe(versionKey('2025-08-20T03:15:00Z'));
    expect(versionKey('2025-08-20T10:15:00.5+07:00')! > versionKey('2025-08-20T03:15:00.499999999Z')!).toBe(true);
    expect(versionKey('2025-08-20T10:15:00+07:00')! < versionKey('2025-08-20T04:15:00+00:00')!).toBe(true);
    expect(versionKey('2025-08-20 10:15:00')).toBeUndefined();
  });
});

describe('signature verifier', () => {
  it('accepts a good record, refuses tampering, an untrusted chain, and a signature time outside the certificate', async () => {
    const { signer, caPem } = await foreignEcSigner();
    const trusted = createSignatureVerifier({ trustedCaPems: [caPem] });
    const rec = profile(signer, '120000000001', '2025-08-20T10:15:00+07:00');
    expect(trusted.check(rec)).toEqual([]);
    expect(trusted.check({ ...rec, soHieu: 'khác' })[0]).toMatchObject({ ma: 'CHU_KY_SAI', truong: '/chuKySo/giaTri' });

    const other = await foreignEcSigner();
    expect(createSignatureVerifier({ trustedCaPems: [other.caPem] }).check(rec)[0]).toMatchObject({ truong: '/chuKySo/chungThu' });
    // No CAs configured: only the signature itself is checked.
    expect(createSignatureVerifier().check(rec)).toEqual([]);

    const sig = (rec as { chuKySo: Record<string, string> }).chuKySo;
    const late = { ...rec, chuKySo: { ...sig, thoiDiemKy: '2099-01-01T00:00:00Z' } };
    expect(trusted.check(late)[0].moTa).toMatch(/hiệu lực|hết hạn/);
    expect(trusted.check({ ...rec, chuKySo: undefined })[0].ma).toBe('CHU_KY_SAI');
  });
});

describe('records signed by the gateway', () => {
  it('are accepted: signRecord with the unit signing identity from the gateway PKI verifies in the simulator', async () => {
    const pki = await simPki(); // issues a signing certificate for unit 000.00.00.H06
    const ctx = await openContext(pki.config, { log: quietLogger() });
    const sim = await startCentralSim({ config: pki.config, listen: '127.0.0.1:0', controlListen: false, log: quietLogger() });
    try {
      const identity = await signingIdentity(ctx, '000.00.00.H06');
      const record = signRecord(unsignedProfile({ soDinhDanh: '130000000001', ngayCapNhat: '2025-08-20T10:15:00+07:00' }) as unknown as HoSoChuaKy, identity);
      const api = simClient(sim.url, pki.client);
      const res = await api.call('POST', '/api/v1/profiles', { body: record });
      expect(res.status).toBe(201);
      const tampered = { ...record, luong: { ...record.luong, heSo: 9.99 } };
      expect((await api.call('POST', '/api/v1/profiles', { body: tampered })).json.ma).toBe('CHU_KY_SAI');
      await api.close();
    } finally {
      await sim.close();
      await closeContext(ctx);
    }
  }, 60_000);
});
