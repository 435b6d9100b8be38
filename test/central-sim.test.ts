/**
 * The central database simulator against its contract (central-api.openapi.yaml): every path and
 * status, idempotent replays, versions, per-record batch results, schema and signature checks,
 * over real mutual TLS with the gateway's own PKI and a real SQLite file.
 */
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, Agent } from 'undici';
import { startCentralSim, type CentralSim } from '../central-sim/server.js';
import { cleanup, tempDir } from './helpers/env.js';
import { quietLogger } from '../core/log.js';
import { foreignEcSigner, profile, signProfile, simClient, simPki, uniqueKey, unsignedProfile, type SimClient, type SimPki } from './central-sim.helpers.js';

let pki: SimPki;
let sim: CentralSim;
let api: SimClient;

beforeAll(async () => {
  pki = await simPki();
  sim = await startCentralSim({ config: pki.config, controlListen: false, log: quietLogger() });
  api = simClient(sim.url, pki.client);
}, 60_000);

afterAll(async () => {
  await sim?.close();
  await cleanup();
});

const T1 = '2025-08-20T10:15:00+07:00';
const T2 = '2025-08-21T09:00:00+07:00';
const T0 = '2025-08-19T08:00:00+07:00';

describe('transport and headers', () => {
  it('refuses a TLS client without a certificate', async () => {
    const agent = new Agent({ connect: { ca: pki.client.ca } });
    try {
      const before = sim.stats({ summary: true }).requests.tlsRefused;
      await expect(request(`${sim.url}/api/v1/profiles/024085001234`, { dispatcher: agent, headers: { authorization: 'Bearer x', 'x-ma-don-vi': 'A' } })).rejects.toThrow();
      // Counted by the server side of the handshake; allow the event loop to deliver it.
      for (let i = 0; i < 100 && sim.stats({ summary: true }).requests.tlsRefused === before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(sim.stats({ summary: true }).requests.tlsRefused).toBe(before + 1);
    } finally {
      await agent.destroy();
    }
  });

  it('answers 401 without a bearer token, 400 without X-Ma-Don-Vi or a proper Idempotency-Key', async () => {
    const rec = profile(pki.signer, '001001000001', T1);
    const noAuth = await api.call('POST', '/api/v1/profiles', { body: rec, headers: { authorization: '' } });
    expect(noAuth.status).toBe(401);
    expect(noAuth.json).toMatchObject({ ma: 'CHUA_XAC_THUC' });
    expect(noAuth.json.moTa).toMatch(/Thiếu/);
    const noUnit = await api.call('POST', '/api/v1/profiles', { body: rec, headers: { 'x-ma-don-vi': '' } });
    expect(noUnit.status).toBe(400);
    expect(noUnit.json.ma).toBe('THIEU_MA_DON_VI');
    const noKey = await api.call('POST', '/api/v1/profiles', { body: rec, key: null });
    expect(noKey.status).toBe(400);
    expect(noKey.json.ma).toBe('KHOA_LUY_DANG_KHONG_HOP_LE');
    const shortKey = await api.call('POST', '/api/v1/profiles', { body: rec, key: 'short' });
    expect(shortKey.status).toBe(400);
    const badJson = await api.call('POST', '/api/v1/profiles', { rawBody: '{"soDinhDanh": ' });
    expect(badJson.status).toBe(400);
    expect(badJson.json.ma).toBe('JSON_KHONG_HOP_LE');
    // Nothing of this was stored.
    expect((await api.call('GET', '/api/v1/profiles/001001000001')).status).toBe(404);
  });

  it('answers 404 for unknown paths and 405 for a wrong method', async () => {
    expect((await api.call('GET', '/api/v1/nothing')).status).toBe(404);
    const wrong = await api.call('DELETE', '/api/v1/profiles/001001000001');
    expect(wrong.status).toBe(405);
    expect(wrong.json.ma).toBe('PHUONG_THUC_KHONG_HO_TRO');
  });

  it('with allowedClients, answers 403 KHONG_DUOC_PHEP to any other certificate the CA issued', async () => {
    const gatewaySerial = new X509Certificate(pki.client.cert).serialNumber;
    const strict = await startCentralSim({
      config: pki.config,
      dataDir: tempDir(),
      listen: '127.0.0.1:0',
      controlListen: false,
      allowedClients: { serials: [gatewaySerial.toLowerCase()] },
      log: quietLogger(),
    });
    try {
      expect((await simClient(strict.url, pki.client).call('GET', '/api/v1/profiles/001001000001')).status).toBe(404);
      const legacy = simClient(strict.url, { ...pki.legacyClient, ca: pki.client.ca });
      const refused = await legacy.call('GET', '/api/v1/profiles/001001000001');
      expect(refused.status).toBe(403);
      expect(refused.json.ma).toBe('KHONG_DUOC_PHEP');
    } finally {
      await strict.close();
    }
  });

  it('answers 413 DU_LIEU_QUA_LON to a body over the limit', async () => {
    const small = await startCentralSim({ config: pki.config, dataDir: tempDir(), listen: '127.0.0.1:0', controlListen: false, maxBodyBytes: 1000, log: quietLogger() });
    try {
      const res = await simClient(small.url, pki.client).call('POST', '/api/v1/profiles', { body: profile(pki.signer, '001001000009', T1) });
      expect(res.status).toBe(413);
      expect(res.json.ma).toBe('DU_LIEU_QUA_LON');
      expect(small.stats().profiles.stored).toBe(0);
    } finally {
      await small.close();
    }
  });

  it('echoes X-Request-Id', async () => {
    const res = await api.call('GET', '/api/v1/profiles/009009009009', { headers: { 'x-request-id': 'req-123' } });
    expect(res.headers['x-request-id']).toBe('req-123');
  });
});

describe('POST /api/v1/profiles and GET /api/v1/profiles/{soDinhDanh}', () => {
  it('creates (201 DA_TAO), reads back the exact record, updates (200 DA_CAP_NHAT)', async () => {
    const v1 = profile(pki.signer, '002002000001', T1);
    const created = await api.call('POST', '/api/v1/profiles', { body: v1 });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ trangThai: 'DA_TAO', soDinhDanh: '002002000001', phienBan: T1 });
    const read = await api.call('GET', '/api/v1/profiles/002002000001');
    expect(read.status).toBe(200);
    expect(read.json).toEqual(v1);

    const v2 = profile(pki.signer, '002002000001', T2, { hoVaTen: 'Nguyễn Văn Đức Anh' });
    const updated = await api.call('POST', '/api/v1/profiles', { body: v2 });
    expect(updated.status).toBe(200);
    expect(updated.json).toEqual({ trangThai: 'DA_CAP_NHAT', soDinhDanh: '002002000001', phienBan: T2 });
    expect((await api.call('GET', '/api/v1/profiles/002002000001')).json.hoVaTen).toBe('Nguyễn Văn Đức Anh');
  });

  it('treats an equal ngayCapNhat as unchanged (200 KHONG_DOI), also in another time-zone spelling', async () => {
    await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '002002000002', T1) });
    const same = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '002002000002', T1) });
    expect(same.status).toBe(200);
    expect(same.json.trangThai).toBe('KHONG_DOI');
    const utc = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '002002000002', '2025-08-20T03:15:00Z') });
    expect(utc.json).toEqual({ trangThai: 'KHONG_DOI', soDinhDanh: '002002000002', phienBan: T1 });
  });

  it('refuses an older version with 409 PHIEN_BAN_CU and changes nothing', async () => {
    await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '002002000003', T2, { hoVaTen: 'Bản mới' }) });
    const before = sim.stats();
    const old = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '002002000003', T1, { hoVaTen: 'Bản cũ' }) });
    expect(old.status).toBe(409);
    expect(old.json).toMatchObject({ ma: 'PHIEN_BAN_CU', trangThai: 'PHIEN_BAN_CU', phienBan: T2 });
    expect(old.json.moTa).toMatch(/cũ hơn/);
    expect((await api.call('GET', '/api/v1/profiles/002002000003')).json.hoVaTen).toBe('Bản mới');
    const after = sim.stats();
    expect(after.profiles.stale).toBe(before.profiles.stale + 1);
    expect(after.appliedBySoDinhDanh!['002002000003']).toBe(1);
  });

  it('answers 404 KHONG_TIM_THAY for an unknown or malformed soDinhDanh', async () => {
    const res = await api.call('GET', '/api/v1/profiles/099099099099');
    expect(res.status).toBe(404);
    expect(res.json.ma).toBe('KHONG_TIM_THAY');
    expect((await api.call('GET', '/api/v1/profiles/abc')).status).toBe(404);
  });

  it('requires X-Ma-Don-Vi on the profile read', async () => {
    expect((await api.call('GET', '/api/v1/profiles/002002000001', { headers: { 'x-ma-don-vi': '' } })).status).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body, with Idempotent-Replay: true', async () => {
    const key = uniqueKey('replay');
    const rec = profile(pki.signer, '003003000001', T1);
    const first = await api.call('POST', '/api/v1/profiles', { body: rec, key });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replay']).toBeUndefined();
    const again = await api.call('POST', '/api/v1/profiles', { body: rec, key });
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replay']).toBe('true');
    // Same JSON value re-serialised with another key order and spacing: still the same body.
    const reordered = Object.fromEntries(Object.entries(rec).reverse());
    const third = await api.call('POST', '/api/v1/profiles', { rawBody: JSON.stringify(reordered, null, 2), key });
    expect(third.status).toBe(201);
    expect(third.headers['idempotent-replay']).toBe('true');
    expect(sim.stats().appliedBySoDinhDanh!['003003000001']).toBe(1);
  });

  it('answers 422 KHOA_TRUNG for the same key with another body, and applies nothing', async () => {
    const key = uniqueKey('conflict');
    await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '003003000002', T1), key });
    const before = sim.stats();
    const other = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '003003000002', T2), key });
    expect(other.status).toBe(422);
    expect(other.json.ma).toBe('KHOA_TRUNG');
    expect(other.json.moTa).toMatch(/Idempotency-Key/);
    const after = sim.stats();
    expect(after.idempotency.conflicts).toBe(before.idempotency.conflicts + 1);
    expect(after.appliedBySoDinhDanh!['003003000002']).toBe(1);
    expect((await api.call('GET', '/api/v1/profiles/003003000002')).json.ngayCapNhat).toBe(T1);
  });

  it('tells batches apart by every record and its signature, and ignores serialisation', async () => {
    const key = uniqueKey('batch-same');
    const a = profile(pki.signer, '003003000010', T1);
    const b = profile(pki.signer, '003003000011', T1);
    expect((await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: [a, b] }, key })).status).toBe(200);
    const reserialised = JSON.stringify({ hoSo: [a, b].map((r) => Object.fromEntries(Object.entries(r).reverse())) }, null, 1);
    const replay = await api.call('POST', '/api/v1/profiles:batch', { rawBody: reserialised, key });
    expect(replay.headers['idempotent-replay']).toBe('true');
    // Only the signature time differs: another body.
    const resigned = { ...b, chuKySo: { ...(b.chuKySo as object), thoiDiemKy: '2025-08-20T10:20:00+07:00' } };
    expect((await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: [a, resigned] }, key })).json.ma).toBe('KHOA_TRUNG');
    expect((await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: [b, a] }, key })).json.ma).toBe('KHOA_TRUNG');
    expect((await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo: [a] }, key })).json.ma).toBe('KHOA_TRUNG');
    // The same key on another path is another request.
    expect((await api.call('POST', '/api/v1/profiles', { body: a, key })).json.ma).toBe('KHOA_TRUNG');
  });

  it('replays a stored 409 as well', async () => {
    await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '003003000003', T2) });
    const key = uniqueKey('stale');
    const old = profile(pki.signer, '003003000003', T1);
    expect((await api.call('POST', '/api/v1/profiles', { body: old, key })).status).toBe(409);
    const again = await api.call('POST', '/api/v1/profiles', { body: old, key });
    expect(again.status).toBe(409);
    expect(again.headers['idempotent-replay']).toBe('true');
  });
});

describe('validation and signatures', () => {
  it('answers 422 with JSON Pointers for schema problems', async () => {
    const rec = signProfile(unsignedProfile({ soDinhDanh: '12345', hoVaTen: undefined, luong: { bac: 3, heSo: 3.333 }, thuaRa: 1 }), pki.signer);
    const res = await api.call('POST', '/api/v1/profiles', { body: rec });
    expect(res.status).toBe(422);
    expect(res.json.ma).toBe('KHONG_HOP_LE');
    const byField = Object.fromEntries((res.json.loi as { truong: string; ma: string }[]).map((l) => [l.truong, l.ma]));
    expect(byField).toMatchObject({ '/soDinhDanh': 'KHONG_HOP_LE', '/hoVaTen': 'THIEU_TRUONG', '/luong/heSo': 'KHONG_HOP_LE', '/thuaRa': 'KHONG_HOP_LE' });
    for (const l of res.json.loi) expect(l.moTa).toMatch(/[ạảãáàâấầẩẫậăắằẳẵặđêếềểễệôốồổỗộơớờởỡợưứừửữựíìỉĩịúùủũụýỳỷỹỵóòỏõọéèẻẽẹ]/);
  });

  it('answers 422 for a date-time without offset', async () => {
    const res = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '004004000009', '2025-08-20T10:15:00') });
    expect(res.status).toBe(422);
    expect(res.json.loi[0].truong).toBe('/ngayCapNhat');
  });

  it('answers 422 CHU_KY_SAI for a record changed after signing', async () => {
    const rec = profile(pki.signer, '004004000001', T1);
    (rec as { hoVaTen: string }).hoVaTen = 'Người khác';
    const res = await api.call('POST', '/api/v1/profiles', { body: rec });
    expect(res.status).toBe(422);
    expect(res.json.ma).toBe('CHU_KY_SAI');
    expect(res.json.loi[0]).toMatchObject({ truong: '/chuKySo/giaTri', ma: 'CHU_KY_SAI' });
    expect((await api.call('GET', '/api/v1/profiles/004004000001')).status).toBe(404);
  });

  it('answers 422 CHU_KY_SAI for a signer certificate from an untrusted CA', async () => {
    const foreign = await foreignEcSigner();
    const res = await api.call('POST', '/api/v1/profiles', { body: profile(foreign.signer, '004004000002', T1) });
    expect(res.status).toBe(422);
    expect(res.json.loi[0]).toMatchObject({ truong: '/chuKySo/chungThu', ma: 'CHU_KY_SAI' });
    expect(res.json.loi[0].moTa).toMatch(/tin cậy/);
  });

  it('verifies ES256 signatures (raw r||s and DER) from a CA it is told to trust', async () => {
    const foreign = await foreignEcSigner();
    const other = await startCentralSim({ config: pki.config, dataDir: tempDir(), listen: '127.0.0.1:0', controlListen: false, trustedSignerCas: [foreign.caPem], log: quietLogger() });
    try {
      const client = simClient(other.url, pki.client);
      const rec = profile(foreign.signer, '004004000005', T1);
      expect((await client.call('POST', '/api/v1/profiles', { body: rec })).status).toBe(201);
      const sig = (rec as { chuKySo: { giaTri: string } }).chuKySo;
      const der = p1363ToDer(Buffer.from(sig.giaTri, 'base64'));
      const derRec = { ...rec, chuKySo: { ...sig, giaTri: der.toString('base64') }, ngayCapNhat: T1 };
      expect((await client.call('POST', '/api/v1/profiles', { body: derRec })).json.trangThai).toBe('KHONG_DOI');
      // This simulator does not trust the gateway's CA for signatures.
      expect((await client.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '004004000006', T1) })).json.ma).toBe('CHU_KY_SAI');
    } finally {
      await other.close();
    }
  });

  it('answers 422 CHU_KY_SAI when the algorithm does not match the key or the certificate is garbage', async () => {
    const rec = profile(pki.signer, '004004000003', T1) as { chuKySo: Record<string, string> };
    const wrongAlg = { ...rec, chuKySo: { ...rec.chuKySo, thuatToan: pki.signer.alg === 'RS256' ? 'ES256' : 'RS256' } };
    expect((await api.call('POST', '/api/v1/profiles', { body: wrongAlg })).json.ma).toBe('CHU_KY_SAI');
    const garbage = { ...rec, chuKySo: { ...rec.chuKySo, chungThu: 'AAAA' } };
    const res = await api.call('POST', '/api/v1/profiles', { body: garbage });
    expect(res.json.loi[0]).toMatchObject({ truong: '/chuKySo/chungThu', ma: 'CHU_KY_SAI' });
  });

  it('counts invalid records and signature failures', () => {
    const s = sim.stats();
    expect(s.profiles.invalid).toBeGreaterThanOrEqual(2);
    expect(s.profiles.signatureFailures).toBeGreaterThanOrEqual(4);
  });
});

describe('POST /api/v1/profiles:batch', () => {
  it('answers per record, in request order', async () => {
    await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '005005000003', T2) });
    const tampered = profile(pki.signer, '005005000004', T1);
    (tampered as { soHieu: string }).soHieu = 'X';
    const hoSo = [
      profile(pki.signer, '005005000001', T1),
      signProfile(unsignedProfile({ soDinhDanh: '005005000002', gioiTinh: 7, ngayCapNhat: T1 }), pki.signer),
      profile(pki.signer, '005005000003', T1),
      tampered,
      profile(pki.signer, '005005000001', T2),
      profile(pki.signer, '005005000001', T2),
    ];
    const res = await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo } });
    expect(res.status).toBe(200);
    const kq = res.json.ketQua as { trangThai: string; soDinhDanh?: string; loi?: { ma: string; truong: string }[]; phienBan?: string }[];
    expect(kq.map((k) => k.trangThai)).toEqual(['DA_TAO', 'KHONG_HOP_LE', 'PHIEN_BAN_CU', 'KHONG_HOP_LE', 'DA_CAP_NHAT', 'KHONG_DOI']);
    expect(kq.map((k) => k.soDinhDanh)).toEqual(['005005000001', '005005000002', '005005000003', '005005000004', '005005000001', '005005000001']);
    expect(kq[1].loi![0]).toMatchObject({ truong: '/gioiTinh', ma: 'KHONG_HOP_LE' });
    expect(kq[2].phienBan).toBe(T2);
    expect(kq[3].loi![0].ma).toBe('CHU_KY_SAI');
    expect((await api.call('GET', '/api/v1/profiles/005005000001')).json.ngayCapNhat).toBe(T2);
    const stats = sim.stats();
    expect(stats.appliedBySoDinhDanh!['005005000001']).toBe(2);
    expect(stats.appliedBySoDinhDanh!['005005000002']).toBeUndefined();
    expect(stats.duplicatesApplied).toBe(0);
  });

  it('replays a batch under its Idempotency-Key', async () => {
    const key = uniqueKey('batch');
    const body = { hoSo: [profile(pki.signer, '005005000010', T1), profile(pki.signer, '005005000011', T1)] };
    const first = await api.call('POST', '/api/v1/profiles:batch', { body, key });
    const again = await api.call('POST', '/api/v1/profiles:batch', { body, key });
    expect(again.text).toBe(first.text);
    expect(again.headers['idempotent-replay']).toBe('true');
    expect(first.json.ketQua.map((k: { trangThai: string }) => k.trangThai)).toEqual(['DA_TAO', 'DA_TAO']);
  });

  it('answers a batch-level 400 for a malformed body', async () => {
    for (const body of [{}, { hoSo: [] }, { hoSo: 'x' }, [profile(pki.signer, '005005000020', T1)], { hoSo: [1], extra: true }]) {
      const res = await api.call('POST', '/api/v1/profiles:batch', { body });
      expect(res.status).toBe(400);
      expect(res.json.ma).toBe('DU_LIEU_KHONG_HOP_LE');
      expect(res.json.loi.length).toBeGreaterThan(0);
    }
    const tooMany = { hoSo: Array.from({ length: 501 }, () => ({})) };
    const res = await api.call('POST', '/api/v1/profiles:batch', { body: tooMany });
    expect(res.status).toBe(400);
    expect(res.json.loi[0].moTa).toMatch(/501/);
  });

  it('accepts exactly 500 records', async () => {
    const hoSo = Array.from({ length: 500 }, (_, i) => profile(pki.signer, `0060060${String(i).padStart(5, '0')}`, T1));
    const res = await api.call('POST', '/api/v1/profiles:batch', { body: { hoSo } });
    expect(res.status).toBe(200);
    expect(res.json.ketQua).toHaveLength(500);
    expect(res.json.ketQua.every((k: { trangThai: string }) => k.trangThai === 'DA_TAO')).toBe(true);
  }, 30_000);
});

describe('units', () => {
  const unit = (ma: string, cha: string | undefined, cap: number, ngayCapNhat?: string, ten = `Đơn vị ${ma}`) => ({
    maDinhDanh: ma,
    ten,
    ...(cha ? { maDonViCha: cha } : {}),
    cap,
    hieuLucTu: '2025-07-01',
    ...(ngayCapNhat ? { ngayCapNhat } : {}),
  });

  it('creates, updates, keeps, and refuses older units', async () => {
    const created = await api.call('PUT', '/api/v1/units/000.00.00.H06', { body: unit('000.00.00.H06', undefined, 1, T1) });
    expect(created.status).toBe(201);
    expect(created.json).toEqual({ trangThai: 'DA_TAO', maDinhDanh: '000.00.00.H06', phienBan: T1 });
    const same = await api.call('PUT', '/api/v1/units/000.00.00.H06', { body: unit('000.00.00.H06', undefined, 1, T1) });
    expect(same.json.trangThai).toBe('KHONG_DOI');
    const newer = await api.call('PUT', '/api/v1/units/000.00.00.H06', { body: unit('000.00.00.H06', undefined, 1, T2, 'Tỉnh Bắc Ninh') });
    expect(newer.status).toBe(200);
    expect(newer.json.trangThai).toBe('DA_CAP_NHAT');
    const older = await api.call('PUT', '/api/v1/units/000.00.00.H06', { body: unit('000.00.00.H06', undefined, 1, T0) });
    expect(older.status).toBe(409);
    expect(older.json).toMatchObject({ ma: 'PHIEN_BAN_CU', maDinhDanh: '000.00.00.H06', phienBan: T2 });
  });

  it('decides by content when units carry no ngayCapNhat', async () => {
    expect((await api.call('PUT', '/api/v1/units/000.01.00.H06', { body: unit('000.01.00.H06', '000.00.00.H06', 2) })).status).toBe(201);
    expect((await api.call('PUT', '/api/v1/units/000.01.00.H06', { body: unit('000.01.00.H06', '000.00.00.H06', 2) })).json.trangThai).toBe('KHONG_DOI');
    const renamed = await api.call('PUT', '/api/v1/units/000.01.00.H06', { body: unit('000.01.00.H06', '000.00.00.H06', 2, undefined, 'Sở Nội vụ') });
    expect(renamed.json.trangThai).toBe('DA_CAP_NHAT');
    expect(sim.stats().appliedByMaDinhDanh!['000.01.00.H06']).toBe(2);
  });

  it('refuses invalid units with 422', async () => {
    const mismatch = await api.call('PUT', '/api/v1/units/000.09.00.H06', { body: unit('000.08.00.H06', '000.00.00.H06', 2) });
    expect(mismatch.status).toBe(422);
    expect(mismatch.json.loi[0]).toMatchObject({ truong: '/maDinhDanh', ma: 'KHONG_KHOP' });
    const bad = await api.call('PUT', '/api/v1/units/abc', { body: { maDinhDanh: 'abc', cap: 9 } });
    expect(bad.status).toBe(422);
    expect(bad.json.loi.map((l: { truong: string }) => l.truong)).toEqual(expect.arrayContaining(['/ten', '/hieuLucTu', '/cap', '/maDinhDanh']));
    const loop = await api.call('PUT', '/api/v1/units/000.00.00.H06', { body: unit('000.00.00.H06', '000.01.00.H06', 1, '2026-01-01T00:00:00Z') });
    expect(loop.status).toBe(422);
    expect(loop.json.loi[0].truong).toBe('/maDonViCha');
  });

  it('reads the tree parents before children, optionally only what changed since an instant', async () => {
    // Children first on purpose: the tree order comes from the parent links, not the arrival order.
    await api.call('PUT', '/api/v1/units/000.01.02.H06', { body: unit('000.01.02.H06', '000.01.00.H06', 3) });
    await api.call('PUT', '/api/v1/units/000.02.00.H06', { body: unit('000.02.00.H06', '000.00.00.H06', 2) });
    await api.call('PUT', '/api/v1/units/000.01.01.H06', { body: unit('000.01.01.H06', '000.01.00.H06', 3) });
    await api.call('PUT', '/api/v1/units/000.00.00.H99', { body: unit('000.00.00.H99', undefined, 1) });
    const tree = await api.call('GET', '/api/v1/units/000.00.00.H06/tree', { headers: { 'x-ma-don-vi': '' } });
    expect(tree.status).toBe(200);
    const codes = (tree.json.donVi as { maDinhDanh: string; maDonViCha?: string }[]).map((u) => u.maDinhDanh);
    expect(codes).toEqual(['000.00.00.H06', '000.01.00.H06', '000.02.00.H06', '000.01.01.H06', '000.01.02.H06']);
    const position = new Map(codes.map((c, i) => [c, i]));
    for (const u of tree.json.donVi) if (u.maDonViCha) expect(position.get(u.maDonViCha)!).toBeLessThan(position.get(u.maDinhDanh)!);

    const sub = await api.call('GET', '/api/v1/units/000.01.00.H06/tree');
    expect(sub.json.donVi.map((u: { maDinhDanh: string }) => u.maDinhDanh)).toEqual(['000.01.00.H06', '000.01.01.H06', '000.01.02.H06']);

    const future = await api.call('GET', `/api/v1/units/000.00.00.H06/tree?since=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
    expect(future.json.donVi).toEqual([]);
    const past = await api.call('GET', `/api/v1/units/000.00.00.H06/tree?since=${encodeURIComponent('2000-01-01T00:00:00+07:00')}`);
    expect(past.json.donVi).toHaveLength(5);
    expect((await api.call('GET', '/api/v1/units/000.00.00.H06/tree?since=yesterday')).status).toBe(400);
  });

  it('answers 404 for the tree of an unknown unit', async () => {
    const res = await api.call('GET', '/api/v1/units/000.00.00.X01/tree');
    expect(res.status).toBe(404);
    expect(res.json.ma).toBe('KHONG_TIM_THAY');
  });
});

describe('stats', () => {
  it('proves each applied version was applied once', () => {
    const s = sim.stats();
    expect(s.duplicatesApplied).toBe(0);
    expect(s.applied).toBe(
      Object.values(s.appliedBySoDinhDanh!).reduce((a, b) => a + b, 0) + Object.values(s.appliedByMaDinhDanh!).reduce((a, b) => a + b, 0),
    );
    expect(s.profiles.created).toBe(s.profiles.stored);
    expect(s.requests.byOperation.upsertProfile).toBeGreaterThan(0);
    expect(s.requests.byStatus['201']).toBeGreaterThan(0);
    const summary = sim.stats({ summary: true });
    expect(summary.appliedBySoDinhDanh).toBeUndefined();
  });

  it('keeps a journal of every outcome per record', () => {
    const entries = sim.journal({ kind: 'profile', id: '005005000001' });
    expect(entries.map((e) => e.outcome)).toEqual(['DA_TAO', 'DA_CAP_NHAT', 'KHONG_DOI']);
    expect(entries.every((e) => e.maDonVi === '000.00.00.H06')).toBe(true);
  });
});



/** ECDSA raw r||s (P1363) to DER, to prove the simulator accepts either encoding. */
function p1363ToDer(raw: Buffer): Buffer {
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = b.subarray(i);
    if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02, v.length]), v]);
  };
  const body = Buffer.concat([int(raw.subarray(0, 32)), int(raw.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
