/**
 * Protocol edges that real legacy clients hit (issue 15), over real mutual TLS through the real
 * data plane: compressed request bodies (PHP SoapClient, .NET handlers), IIS's case-insensitive
 * `.asmx` paths, SOAP version mismatches in both directions, ASMX's `?disco` document and other
 * GET queries, and the status answers' field names and "last error" text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACTS, cleanup } from './helpers/env.js';
import { eventually, sample, startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { callOptions, faultOf, vendorAClient, vendorBClient } from './vendor-soap-clients.js';
import { publicUrl } from '../config/config.js';
import { parseXmlString, type XmlElement } from '../adapters/xml/parse.js';
import { attr, child } from '../adapters/xml/tree.js';
import { limits } from './vendor-helpers.js';

const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
const VENDOR_A_NS = 'http://qlcb.vendor-a.vn/';
const VENDOR_B_NS = 'http://ws.vendor-b.vn/hrm/sync/v2';
/** Small enough that a compressed bomb of a few kB expands far past it. */
const BODY_LIMIT = 1024 * 1024;

let h: Harness;
let a: LegacyClient;
let b: LegacyClient;
let c: LegacyClient;
let j: LegacyClient;
let gatewayUrl: string;

const action = (op: string) => ({ 'content-type': 'text/xml; charset=utf-8', soapaction: `"${VENDOR_A_NS}${op}"` });
const SOAP12 = { 'content-type': 'application/soap+xml; charset=UTF-8; action="urn:submitRecords"' };

function vendorARequest(key: string): string {
  return sample('vendors/vendor-a-asmx/samples/DongBoHoSo.request.xml').replace('{{CONNECTION_KEY}}', key);
}

function traCuu(key: string, id: string, envNs = SOAP11_NS): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${envNs}"><soap:Header><XacThuc xmlns="${VENDOR_A_NS}"><MaKetNoi>${key}</MaKetNoi></XacThuc></soap:Header><soap:Body><TraCuuTrangThai xmlns="${VENDOR_A_NS}"><maTheoDoi>${id}</maTheoDoi></TraCuuTrangThai></soap:Body></soap:Envelope>`;
}

function vendorBRequest(envNs = SOAP12_NS): string {
  const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
  return sample('vendors/vendor-b-jaxws/samples/submitRecords.request.xml')
    .replace('{{NOW}}', iso(0))
    .replace('{{NOW+5min}}', iso(300_000))
    .replace('{{SOFTWARE_ID}}', b.softwareId)
    .replace('{{CONNECTION_KEY}}', b.connectionKey)
    .replace(SOAP12_NS, envNs);
}

function xml(text: string): XmlElement {
  return parseXmlString(text, limits());
}

/** The Fault element of a SOAP answer in namespace `ns`. */
function faultIn(text: string, ns: string): XmlElement {
  const env = xml(text);
  expect({ local: env.local, uri: env.uri }).toEqual({ local: 'Envelope', uri: ns });
  const fault = child(child(env, 'Body', ns)!, 'Fault', ns);
  expect(fault).toBeDefined();
  return fault!;
}

/** A vendor A SOAP 1.1 fault (HTTP 500) carrying the gateway's machine code. */
function expectSoap11Fault(res: { status: number; text: string }, code: string): XmlElement {
  expect(res.status).toBe(500);
  const fault = faultIn(res.text, SOAP11_NS);
  expect(child(fault, 'detail')!.children[0]).toMatchObject({ local: 'MaLoi', text: code });
  return fault;
}

/** A vendor B SOAP 1.2 fault with SyncFault/code. */
function expectSoap12Fault(res: { status: number; text: string }, code: string, status = 400): XmlElement {
  expect(res.status).toBe(status);
  const fault = faultIn(res.text, SOAP12_NS);
  const detail = child(fault, 'Detail', SOAP12_NS)!;
  expect(child(child(detail, 'SyncFault', VENDOR_B_NS)!, 'code')!.text).toBe(code);
  return fault;
}

beforeAll(async () => {
  h = await startHarness({ config: { limits: { maxBodyBytes: BODY_LIMIT } } });
  await h.signingCertFor('000.00.00.H06');
  a = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-A' });
  b = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'HRM-B' });
  c = await h.legacyClient({ vendor: 'vendor-c-xmlpost', softwareId: 'VB6-C' });
  j = await h.legacyClient({ vendor: 'json', softwareId: 'MODERN-J', unitCode: '000.00.00.H06' });
  gatewayUrl = publicUrl(h.ctx.config, h.node.dataPlane!.port);
}, 120_000);

afterAll(cleanup);

describe('compressed request bodies (Content-Encoding)', () => {
  it('vendor A: a gzip body (PHP SoapClient with compression) is decompressed and synchronised', async () => {
    const res = await a.request(`${h.url}/QLCBService.asmx`, {
      headers: { ...action('DongBoHoSo'), 'content-encoding': 'gzip' },
      body: gzipSync(vendorARequest(a.connectionKey)),
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
  });

  it('deflate in both forms HTTP clients send it: zlib-wrapped (RFC 9110) and raw (.NET DeflateStream)', async () => {
    for (const body of [deflateSync(vendorARequest(a.connectionKey)), deflateRawSync(vendorARequest(a.connectionKey))]) {
      const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: { ...action('DongBoHoSo'), 'content-encoding': 'deflate' }, body });
      expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
    }
  });

  it('vendor B: gzip and br bodies are read like plain ones', async () => {
    for (const [coding, pack] of [['gzip', gzipSync], ['br', brotliCompressSync]] as const) {
      const res = await b.request(`${h.url}/hrm/sync/v2`, { headers: { ...SOAP12, 'content-encoding': coding }, body: pack(Buffer.from(vendorBRequest())) });
      expect(res.status).toBe(200);
      expect(res.text).toContain('<status>SYNCED</status>');
    }
  });

  it('vendor C: gzip of Windows-1258 bytes still decodes by the declared encoding', async () => {
    const raw = readFileSync(path.join(CONTRACTS, 'vendors/vendor-c-xmlpost/samples/hoso.request.xml'));
    const res = await c.request(`${h.url}/vendor-c/hoso`, {
      headers: { 'content-type': 'text/xml', 'content-encoding': 'gzip', 'x-connection-key': c.connectionKey, 'x-ma-don-vi': '000.12.00.H03' },
      body: gzipSync(raw),
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Ma>0</Ma>');
  });

  it('a zip bomb (a few kB expanding past the body limit) is refused with DU_LIEU_QUA_LON in each caller protocol', async () => {
    const bomb = (doc: string, marker: string) => gzipSync(Buffer.from(doc.replace(marker, `<!--${' '.repeat(BODY_LIMIT * 8)}-->${marker}`)));
    const bombA = bomb(vendorARequest(a.connectionKey), '<HoTen>');
    expect(bombA.length).toBeLessThan(BODY_LIMIT / 10);
    const resA = await a.request(`${h.url}/QLCBService.asmx`, { headers: { ...action('DongBoHoSo'), 'content-encoding': 'gzip' }, body: bombA });
    expectSoap11Fault(resA, 'DU_LIEU_QUA_LON');

    const resB = await b.request(`${h.url}/hrm/sync/v2`, { headers: { ...SOAP12, 'content-encoding': 'gzip' }, body: bomb(vendorBRequest(), '<batchId>') });
    expectSoap12Fault(resB, 'DU_LIEU_QUA_LON');

    const resJ = await j.request(`${h.url}/api/v1/profiles`, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-connection-key': j.connectionKey },
      body: gzipSync(Buffer.from(`{"a":"${'x'.repeat(BODY_LIMIT * 4)}"}`)),
    });
    expect(resJ.status).toBe(413);
    expect(resJ.json()).toMatchObject({ code: 'DU_LIEU_QUA_LON' });
  });

  it('an unsupported encoding is refused naming it (415 where the protocol carries HTTP statuses), never as "not UTF-8"', async () => {
    const body = Buffer.from(vendorARequest(a.connectionKey));
    const resA = await a.request(`${h.url}/QLCBService.asmx`, { headers: { ...action('DongBoHoSo'), 'content-encoding': 'compress' }, body });
    const fault = expectSoap11Fault(resA, 'MA_HOA_NEN_KHONG_HO_TRO');
    expect(child(fault, 'faultstring')!.text).toContain('compress');

    const resB = await b.request(`${h.url}/hrm/sync/v2`, { headers: { ...SOAP12, 'content-encoding': 'x-unknown' }, body: vendorBRequest() });
    const faultB = expectSoap12Fault(resB, 'MA_HOA_NEN_KHONG_HO_TRO');
    expect(child(child(faultB, 'Reason', SOAP12_NS)!, 'Text', SOAP12_NS)!.text).toContain('x-unknown');

    const resC = await c.request(`${h.url}/vendor-c/hoso`, {
      headers: { 'content-type': 'text/xml', 'content-encoding': 'zstd', 'x-connection-key': c.connectionKey },
      body: '<?xml version="1.0"?><HoSoCanBo/>',
    });
    expect(resC.status).toBe(415);
    expect(resC.headers['accept-encoding']).toMatch(/gzip/);
    expect(resC.text).toMatch(/<KetQua><Ma>9<\/Ma><ThongBao>[^<]*zstd[^<]*\(MA_HOA_NEN_KHONG_HO_TRO\)<\/ThongBao><\/KetQua>/);

    const resJ = await j.request(`${h.url}/api/v1/profiles`, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'compress', 'x-connection-key': j.connectionKey },
      body: '{}',
    });
    expect(resJ.status).toBe(415);
    expect(resJ.headers['accept-encoding']).toMatch(/gzip/);
    expect(resJ.json()).toMatchObject({ code: 'MA_HOA_NEN_KHONG_HO_TRO' });
    expect(resJ.json().title).toContain('compress');
  });

  it('a corrupt compressed body is a client error naming the encoding, not a gateway error', async () => {
    const broken = gzipSync(vendorARequest(a.connectionKey)).subarray(0, 200);
    const resA = await a.request(`${h.url}/QLCBService.asmx`, { headers: { ...action('DongBoHoSo'), 'content-encoding': 'gzip' }, body: broken });
    const fault = expectSoap11Fault(resA, 'DU_LIEU_NEN_HONG');
    expect(child(fault, 'faultcode')!.text).toBe('soap:Client');
    const resJ = await j.request(`${h.url}/api/v1/profiles`, {
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-connection-key': j.connectionKey },
      body: Buffer.from('not gzip at all'),
    });
    expect(resJ.status).toBe(400);
    expect(resJ.json()).toMatchObject({ code: 'DU_LIEU_NEN_HONG' });
  });
});

describe('vendor A paths are case-insensitive, as IIS served them', () => {
  it('POST to /qlcbservice.asmx and /QLCBSERVICE.ASMX works exactly as the canonical path', async () => {
    for (const p of ['/qlcbservice.asmx', '/QLCBSERVICE.ASMX', '/QlcbService.Asmx']) {
      const res = await a.request(`${h.url}${p}`, { headers: action('DongBoHoSo'), body: vendorARequest(a.connectionKey) });
      expect(res.status).toBe(200);
      expect(res.text).toContain('<MaKetQua>0</MaKetQua>');
    }
  });

  it('GET /QLCBService.ASMX?wsdl serves the WSDL, its soap:address the canonical gateway URL', async () => {
    for (const p of ['/QLCBService.ASMX?wsdl', '/qlcbservice.asmx?WSDL']) {
      const res = await a.request(`${h.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.text).toContain(`location="${gatewayUrl}/QLCBService.asmx"`);
    }
  });

  it('a soap client generated from /qlcbservice.asmx?wsdl calls the lowercase endpoint over mutual TLS', async () => {
    const agent = new https.Agent({ cert: a.cert.certPem, key: a.cert.keyPem, ca: h.ca });
    const o = { wsdlUrl: `${h.url}/qlcbservice.asmx?wsdl`, endpoint: `${h.url}/qlcbservice.asmx`, httpsAgent: agent };
    const client = await vendorAClient({ ...o, key: a.connectionKey, unitCode: '000.00.00.H03' });
    const [result] = await client.TraCuuTrangThaiAsync({ maTheoDoi: 'TD-KHONG-CO' }, callOptions(o));
    expect(result.TraCuuTrangThaiResult.MaKetQua).toBe(9);
    expect(client.lastEndpoint).toBe(`${h.url}/qlcbservice.asmx`);
    agent.destroy();
  });

  it('other fronts keep exact paths (Java servlet paths are case-sensitive)', async () => {
    const res = await b.request(`${h.url}/HRM/SYNC/V2?wsdl`);
    expect(res.status).toBe(404);
  });
});

describe('SOAP version mismatch', () => {
  it('a SOAP 1.2 envelope on the SOAP 1.1 endpoint gets a SOAP 1.1 VersionMismatch fault (SOAP 1.1 §4.4.1)', async () => {
    const res = await a.request(`${h.url}/QLCBService.asmx`, {
      headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
      body: traCuu(a.connectionKey, 'TD1', SOAP12_NS),
    });
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    const fault = expectSoap11Fault(res, 'SAI_PHIEN_BAN_SOAP');
    // faultcode is a QName: its prefix must be bound to the SOAP 1.1 envelope namespace.
    const [prefix, local] = child(fault, 'faultcode')!.text.split(':');
    expect(local).toBe('VersionMismatch');
    expect(res.text).toContain(`xmlns:${prefix}="${SOAP11_NS}"`);
    expect(child(fault, 'faultstring')!.text).toContain('SOAP 1.1');
  });

  it('a SOAP 1.1 envelope on the SOAP 1.2 endpoint gets a VersionMismatch fault the SOAP 1.1 sender can read, with env:Upgrade naming SOAP 1.2', async () => {
    const res = await b.request(`${h.url}/hrm/sync/v2`, { headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:submitRecords"' }, body: vendorBRequest(SOAP11_NS) });
    // SOAP 1.2 part 1, appendix A: answered as a SOAP 1.1 fault over the SOAP 1.1 HTTP binding.
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    const fault = expectSoap11Fault(res, 'SAI_PHIEN_BAN_SOAP');
    const [prefix, local] = child(fault, 'faultcode')!.text.split(':');
    expect(local).toBe('VersionMismatch');
    expect(res.text).toContain(`xmlns:${prefix}="${SOAP11_NS}"`);
    // §5.4.7: env:Upgrade / env:SupportedEnvelope qname="…:Envelope" in the SOAP 1.2 namespace.
    const header = child(xml(res.text), 'Header', SOAP11_NS)!;
    const upgrade = child(header, 'Upgrade', SOAP12_NS)!;
    expect(upgrade).toBeDefined();
    const supported = child(upgrade, 'SupportedEnvelope', SOAP12_NS)!;
    const [qp, ql] = attr(supported, 'qname')!.split(':');
    expect(ql).toBe('Envelope');
    expect(res.text).toMatch(new RegExp(`<[^>]*SupportedEnvelope[^>]*xmlns:${qp}="${SOAP12_NS.replace(/[./]/g, '\\$&')}"`));
    expect(child(fault, 'faultstring')!.text).toContain('SOAP 1.2');
  });
});

describe('ASMX documents and other GET queries', () => {
  it('GET ?disco answers the DISCO document ASMX served (Visual Studio "Update Web Reference")', async () => {
    for (const p of ['/QLCBService.asmx?disco', '/qlcbservice.asmx?DISCO']) {
      const res = await a.request(`${h.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/xml/);
      const doc = xml(res.text);
      expect({ local: doc.local, uri: doc.uri }).toEqual({ local: 'discovery', uri: 'http://schemas.xmlsoap.org/disco/' });
      const contract = child(doc, 'contractRef', 'http://schemas.xmlsoap.org/disco/scl/')!;
      expect(attr(contract, 'ref')).toBe(`${gatewayUrl}/QLCBService.asmx?wsdl`);
      expect(attr(contract, 'docRef')).toBe(`${gatewayUrl}/QLCBService.asmx`);
      const soap = child(doc, 'soap', 'http://schemas.xmlsoap.org/disco/soap/')!;
      expect(attr(soap, 'address')).toBe(`${gatewayUrl}/QLCBService.asmx`);
      const [bp, bl] = attr(soap, 'binding')!.split(':');
      expect(bl).toBe('QLCBServiceSoap');
      expect(res.text).toContain(`xmlns:${bp}="${VENDOR_A_NS}"`);
    }
  });

  it('any other GET on the asmx is a clear 4xx in the caller protocol, never a 500', async () => {
    const cases: [string, number][] = [
      ['/QLCBService.asmx', 405],
      ['/QLCBService.asmx?op=DongBoHoSo', 404],
      ['/QLCBService.asmx?foo=bar', 404],
      ['/qlcbservice.asmx?op=TraCuuTrangThai', 404],
    ];
    for (const [p, status] of cases) {
      const res = await a.request(`${h.url}${p}`);
      expect(res.status, p).toBe(status);
      const fault = faultIn(res.text, SOAP11_NS);
      expect(child(fault, 'faultcode')!.text).toBe('soap:Client');
      if (status === 405) expect(res.headers.allow).toBe('GET, POST');
    }
    const del = await a.request(`${h.url}/QLCBService.asmx`, { method: 'DELETE' });
    expect(del.status).toBe(405);
  });
});

describe('status answers', () => {
  it('vendor B getStatus for an unknown id names its own field trackingId (vendor A keeps maTheoDoi)', async () => {
    const agent = new https.Agent({ cert: b.cert.certPem, key: b.cert.keyPem, ca: h.ca });
    const o = { endpoint: `${h.url}/hrm/sync/v2`, httpsAgent: agent };
    const client = await vendorBClient({ ...o, key: b.connectionKey, softwareId: b.softwareId });
    const [status] = await client.getStatusAsync({ trackingId: ['TD-KHONG-CO'] }, callOptions(o));
    const r = [status.result].flat()[0];
    expect(r.status).toBe('ERROR');
    expect([r.error].flat()[0].field).toBe('trackingId');
    agent.destroy();

    const resA = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('TraCuuTrangThai'), body: traCuu(a.connectionKey, 'TD-KHONG-CO') });
    expect(resA.text).toContain('<Truong>maTheoDoi</Truong>');
  });

  it('a queued record\'s status names the last network error code once', async () => {
    await h.sim.setFaults({ down: { mode: 'refuse' } });
    try {
      const body = vendorARequest(a.connectionKey).replace(/<SoCMND>\d+<\/SoCMND>/, '<SoCMND>024085007777</SoCMND>');
      const res = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('DongBoHoSo'), body });
      expect(res.text).toContain('<MaKetQua>1</MaKetQua>');
      const id = /<MaTheoDoi>([^<]+)<\/MaTheoDoi>/.exec(res.text)![1];
      const message = await eventually(async () => {
        const s = await a.request(`${h.url}/QLCBService.asmx`, { headers: action('TraCuuTrangThai'), body: traCuu(a.connectionKey, id) });
        const m = /<ThongBao>([^<]*ECONNREFUSED[^<]*)<\/ThongBao>/.exec(s.text);
        return m?.[1];
      }, 20_000, 200);
      expect(message.match(/ECONNREFUSED/g)).toHaveLength(1);
    } finally {
      await h.sim.resetFaults();
    }
  });
});
