/**
 * Logs an operator can use: the logger redacts secrets by configuration and honours the level;
 * the real data plane writes one access line per exchange from the pipeline's epilogue, a warning
 * for each kind of refusal (wrong key, missing key, malformed XML, XXE, 404, rate limit,
 * MaKetQua 9, a central database refusing records), and never a connection key. A gateway
 * process started with `ndxp start` writes its start-up and shutdown lines as JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, testConfig } from './helpers/env.js';
import { eventually, sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import pino from 'pino';
import { cannotHoldSecret, createLogger, envLevel, REDACT_PATHS, REDACTED, type Logger } from '../core/log.js';
import { gatewayEnv, startGatewayProcess } from './helpers/processes.js';

type Line = Record<string, any>;

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): { log: Logger; lines: Line[]; text: () => string } {
  const raw: string[] = [];
  const log = createLogger({ node: 'test' }, level, { write: (s) => void raw.push(s) });
  return { log, lines: raw as unknown as Line[], text: () => raw.join('') };
}
const parse = (text: string): Line[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

describe('the logger', () => {
  it('redacts connection keys, passwords, private keys and bearer tokens by configuration, at any depth the paths name', () => {
    const c = capture();
    c.log.warn('Thử che thông tin bí mật', {
      connectionKey: 'K1.supersecret-connection-key',
      password: 'mat-khau-p12',
      privateKey: '-----BEGIN PRIVATE KEY-----abc',
      token: 'eyJ.bearer.token',
      headers: { authorization: 'Bearer eyJ.header.token', 'x-connection-key': 'K2.header-secret' },
      key: { connectionKey: 'K3.nested-secret', keyId: 'K3' },
      keyId: 'K1',
    });
    const text = c.text();
    for (const secret of ['supersecret-connection-key', 'mat-khau-p12', 'BEGIN PRIVATE KEY', 'eyJ.bearer.token', 'eyJ.header.token', 'header-secret', 'nested-secret']) {
      expect(text).not.toContain(secret);
    }
    const [line] = parse(text);
    expect(line).toMatchObject({ level: 'warn', msg: 'Thử che thông tin bí mật', node: 'test', keyId: 'K1', connectionKey: REDACTED, key: { keyId: 'K3', connectionKey: REDACTED } });
    expect(line.headers.authorization).toBe(REDACTED);
    expect(typeof line.time).toBe('string');
  });

  it('writes the same bytes as a logger redacting every line, whether or not a line can skip redaction', () => {
    // The reference: pino with the redaction paths applied to every line (as before lines that
    // cannot hold a secret skipped it); time is the one field that differs between the two.
    const ref: string[] = [];
    const reference = pino(
      { level: 'debug', base: null, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) }, redact: { paths: [...REDACT_PATHS], censor: REDACTED }, serializers: { err: pino.stdSerializers.err } },
      { write: (l: string) => void ref.push(l) },
    ).child({ node: 'test' });
    const c = capture('debug');
    const cases: Record<string, unknown>[] = [
      { kind: 'access', requestId: 'r-1', status: 200, latencyMs: 3, records: undefined, ok: true, n: Number.NaN, big: 1e21, neg: -0 },
      { quote: 'a "b" \\ c', control: 'tab\there\nnewline\u0001', viet: 'Đã xử lý yêu cầu ồ', long: 'x"'.repeat(80), sep: 'a\u2028b' },
      { lone: 'ab\ud800cd', pair: 'emoji \ud83d\ude00' },
      { recordCodes: ['A', 'B'], recordStatus: { a: 1, b: 'x' }, nested: { deeper: { v: 1 } }, empty: {}, nil: null },
      { err: new Error('boom'), headers: { accept: 'x' } },
      { keyId: 'K1', key: { connectionKey: 'K1.secret', keyId: 'K1' }, headers: { 'x-connection-key': 'K2.s' }, token: 't' },
    ];
    for (const fields of cases) {
      c.log.info('Thông báo "thử"', fields);
      reference.info(fields, 'Thông báo "thử"');
    }
    c.log.warn('chỉ thông báo');
    reference.warn('chỉ thông báo');
    const child = c.log.child({ unit: 'H03', connectionKey: 'K9.child-secret' });
    child.info('con', { a: 1 });
    reference.child({ unit: 'H03', connectionKey: 'K9.child-secret' }).info({ a: 1 }, 'con');
    const untimed = (l: string) => l.replace(/"time":"[^"]*"/, '"time":"T"');
    expect((c.lines as unknown as string[]).map(untimed)).toEqual(ref.map(untimed));
    expect(c.text()).not.toContain('child-secret');
    expect(cases.map(cannotHoldSecret)).toEqual([true, true, false, false, false, false]);
  });

  it('writes an error with its stack, and nothing below the level NDXP_LOG_LEVEL names', () => {
    expect(envLevel('WARN')).toBe('warn');
    expect(envLevel('nonsense')).toBe('info');
    expect(envLevel(undefined)).toBe('info');
    const c = capture(envLevel('warn'));
    c.log.info('không được ghi');
    c.log.debug('không được ghi');
    expect(c.log.enabled('info')).toBe(false);
    c.log.error('Có lỗi', { err: new Error('boom') });
    const lines = parse(c.text());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'Có lỗi', err: { message: 'boom', type: 'Error' } });
    expect(lines[0].err.stack).toContain('logging.test.ts');
  });
});

describe('the data plane logs every exchange', () => {
  let h: Harness;
  let a: LegacyClient;
  let tight: LegacyClient;
  let j: LegacyClient;
  const out = { text: '' };
  const SOAP11 = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' };
  const vendorA = (key: string, replace: [string, string][] = []) => {
    let xml = sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', key);
    for (const [from, to] of replace) xml = xml.replace(from, to);
    return xml;
  };
  const lines = () => parse(out.text);
  const lineOf = (requestId: string | undefined) => lines().find((l) => l.kind === 'access' && l.requestId === requestId);

  beforeAll(async () => {
    h = await startHarness();
    a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-LOG' });
    tight = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-TIGHT', limits: { requestsPerSecond: 1, burstSeconds: 1 } });
    j = await h.legacyClient({ vendor: 'json', softwareId: 'J-LOG', unitCode: '000.00.00.H06' });
    // From here on the gateway's logger writes where the test reads (the pipeline reads ctx.log per exchange).
    h.ctx.log = createLogger({ node: h.ctx.nodeName }, 'info', { write: (s) => void (out.text += s) });
  }, 120_000);

  afterAll(cleanup);

  it('MaKetQua 9 (no signing certificate for the unit yet) is a warning with the record code', async () => {
    const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(a.connectionKey) });
    expect(res.text).toContain('<MaKetQua>9</MaKetQua>');
    const line = lineOf(res.headers['x-request-id'] as string);
    expect(line).toMatchObject({ level: 'warn', front: 'vendor-a-asmx', operation: 'DongBoHoSo', records: 1, recordStatus: { ERROR: 1 }, code: 'CHUA_CO_CHUNG_THU_KY' });
  });

  it('a good exchange: one info access line with request id, front, operation, unit, key, certificate serial, outcome, records, latency', async () => {
    await h.signingCertFor('000.00.00.H06');
    let res = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(a.connectionKey) });
    // The new signing certificate reaches the data plane within one refresh interval.
    await eventually(async () => (res = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(a.connectionKey) })).text.includes('<MaKetQua>0</MaKetQua>'), 5000, 200);
    const id = res.headers['x-request-id'] as string;
    expect(lines().filter((l) => l.requestId === id)).toHaveLength(1);
    const line = lineOf(id)!;
    expect(line).toMatchObject({ level: 'info', msg: 'Đã xử lý yêu cầu', front: 'vendor-a-asmx', operation: 'DongBoHoSo', unit: a.unitCode, keyId: a.keyId, outcome: 'synced', status: 200, records: 1, recordStatus: { SYNCED: 1 } });
    expect(line.certSerial).toMatch(/^[0-9A-F]+$/);
    expect(typeof line.latencyMs).toBe('number');
    expect(line.code).toBeUndefined();
  });

  it('a central database refusing the record is a warning with the centre’s code', async () => {
    await h.sim.setFaults({ status: { code: 422, ma: 'DU_LIEU_KHONG_HOP_LE', moTa: 'Trung ương từ chối', count: 1 } });
    const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(a.connectionKey, [['<HoTen>', '<HoTen>X']]) });
    await h.sim.resetFaults();
    const line = lineOf(res.headers['x-request-id'] as string);
    expect(line?.level, res.text).toBe('warn');
    expect(line?.recordCodes, res.text).toContain('DU_LIEU_KHONG_HOP_LE');
  });

  it('each refusal is a warning with its machine code: wrong key, missing key, malformed XML, XXE, 404, rate limit', async () => {
    const cases: { name: string; send: () => Promise<{ headers: Record<string, unknown>; status: number }>; code: string }[] = [
      { name: 'wrong key', send: () => a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(`${a.keyId}.wrong-secret-value`) }), code: 'KHOA_KET_NOI_KHONG_HOP_LE' },
      { name: 'missing key (401)', send: () => j.request(`${h.url}/api/v1/whoami`), code: 'KHOA_KET_NOI_KHONG_HOP_LE' },
      { name: 'malformed XML', send: () => a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: '<soap:Envelope><unclosed>' }), code: 'XML_KHONG_HOP_LE' },
      {
        name: 'XXE',
        send: () => a.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>' }),
        code: 'XML_BI_TU_CHOI',
      },
      { name: '404', send: () => j.request(`${h.url}/khong-co-duong-dan-nay`), code: 'KHONG_TIM_THAY' },
    ];
    for (const c of cases) {
      const res = await c.send();
      const line = lineOf(res.headers['x-request-id'] as string);
      expect(line, c.name).toMatchObject({ level: 'warn', msg: 'Từ chối yêu cầu', outcome: 'refused', code: c.code, status: res.status });
      expect(line!.certSerial, c.name).toMatch(/^[0-9A-F]+$/);
    }
    let limited: Line | undefined;
    for (let i = 0; i < 10 && !limited; i++) {
      const res = await tight.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: vendorA(tight.connectionKey) });
      const line = lineOf(res.headers['x-request-id'] as string);
      if (line?.code === 'VUOT_HAN_MUC') limited = line;
    }
    expect(limited).toMatchObject({ level: 'warn', keyId: tight.keyId, outcome: 'refused' });
  });

  it('no connection key secret reaches the log', () => {
    expect(out.text.length).toBeGreaterThan(0);
    for (const who of [a, tight, j]) expect(out.text).not.toContain(who.connectionKey.split('.')[1]);
    expect(out.text).not.toContain('wrong-secret-value');
  });
});

describe('a gateway process', () => {
  it('writes its start-up and shutdown lines as JSON on stderr', async () => {
    const config = testConfig('sqlite');
    const gw = await startGatewayProcess(gatewayEnv(config, { NDXP_LOG_LEVEL: 'info' }));
    await gw.stop();
    const logged = parse(gw.logs());
    expect(logged.find((l) => l.kind === 'startup')).toMatchObject({ level: 'info', msg: 'Cổng kết nối đã khởi động', mode: 'redis', workers: 1 });
    expect(logged.filter((l) => l.kind === 'shutdown').map((l) => l.msg)).toEqual(['Đang dừng có kiểm soát', 'Đã dừng']);
    // Every line the process wrote on stderr is JSON.
    expect(gw.logs().split('\n').filter((l) => l.trim() && !l.startsWith('{'))).toEqual([]);
  }, 120_000);
});
