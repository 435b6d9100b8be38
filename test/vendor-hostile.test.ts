/**
 * The hostile corpus, sent over real HTTP to every front: each input is refused with the right
 * GatewayError code, rendered in the caller's own protocol, and the front keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { fronts } from '../adapters/registry.js';
import { post, startHarness, type Harness } from './vendor-harness.js';
import { sample, xmlShape } from './vendor-helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness(fronts, { limits: { xmlMaxElements: 10_000, maxBodyBytes: 4 * 1024 * 1024 } });
});
afterAll(async () => {
  await h.close();
});

interface Front {
  id: 'A' | 'B' | 'C';
  path: string;
  headers: Record<string, string>;
  good(): string;
  /** Where nested / extra content can be injected (an element's start tag). */
  anchor: string;
}

const iso = (ms: number) => new Date(Date.now() + ms).toISOString();

const FRONTS: Front[] = [
  {
    id: 'A',
    path: '/QLCBService.asmx',
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoHoSo"' },
    good: () => sample('vendor-a-asmx', 'samples/DongBoHoSo.request.xml').toString('utf8').replace('{{CONNECTION_KEY}}', 'k.s'),
    anchor: '<HoTen>',
  },
  {
    id: 'B',
    path: '/hrm/sync/v2',
    headers: { 'content-type': 'application/soap+xml; charset=UTF-8; action="urn:submitRecords"' },
    good: () =>
      sample('vendor-b-jaxws', 'samples/submitRecords.request.xml')
        .toString('utf8')
        .replace('{{NOW}}', iso(0))
        .replace('{{NOW+5min}}', iso(300_000))
        .replace('{{SOFTWARE_ID}}', 'S')
        .replace('{{CONNECTION_KEY}}', 'k.s'),
    anchor: '<batchId>',
  },
  {
    id: 'C',
    path: '/vendor-c/hoso',
    headers: { 'content-type': 'text/xml', 'x-connection-key': 'k.s', 'x-ma-don-vi': '000.12.00.H03' },
    good: () => iconv.decode(sample('vendor-c-xmlpost', 'samples/hoso.request.xml'), 'windows-1258').normalize('NFC').replace('windows-1258', 'utf-8'),
    anchor: '<HoTen>',
  },
];

const afterDecl = (xml: string, insert: string) => xml.replace(/^(<\?xml[^>]*\?>)/, `$1${insert}`);
const inside = (f: Front, xml: string, insert: string) => xml.replace(f.anchor, f.anchor + insert);
const rootStart = (xml: string) => xml.indexOf('<', xml.startsWith('<?xml') ? xml.indexOf('?>') : 0);
const withRootAttr = (xml: string, attr: string) => {
  const i = rootStart(xml);
  const end = xml.indexOf('>', i);
  return xml.slice(0, end) + ` ${attr}` + xml.slice(end);
};

const LOLZ =
  '<!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']>';

type Case = { name: string; fronts?: Front['id'][]; body: (f: Front) => string | Buffer; headers?: (f: Front) => Record<string, string>; code: string };

const CASES: Case[] = [
  { name: 'XXE (external entity)', body: (f) => inside(f, afterDecl(f.good(), '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'), '&e;'), code: 'XML_BI_TU_CHOI' },
  { name: 'billion laughs', body: (f) => inside(f, afterDecl(f.good(), LOLZ), '&lol9;'), code: 'XML_BI_TU_CHOI' },
  { name: 'external DTD', body: (f) => afterDecl(f.good(), '<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd">'), code: 'XML_BI_TU_CHOI' },
  { name: 'undefined entity', body: (f) => inside(f, f.good(), '&nbsp;'), code: 'XML_BI_TU_CHOI' },
  { name: 'processing instruction', body: (f) => inside(f, f.good(), '<?exec rm -rf /?>'), code: 'XML_BI_TU_CHOI' },
  { name: 'deep nesting', body: (f) => inside(f, f.good(), '<x>'.repeat(5000) + '</x>'.repeat(5000)), code: 'XML_BI_TU_CHOI' },
  { name: '1 MB attribute', body: (f) => withRootAttr(f.good(), `big="${'A'.repeat(1024 * 1024)}"`), code: 'XML_BI_TU_CHOI' },
  { name: 'too many attributes', body: (f) => withRootAttr(f.good(), Array.from({ length: 100 }, (_, i) => `a${i}="1"`).join(' ')), code: 'XML_BI_TU_CHOI' },
  { name: 'huge element count', body: (f) => inside(f, f.good(), '<x/>'.repeat(20_000)), code: 'XML_BI_TU_CHOI' },
  {
    name: 'invalid UTF-8',
    body: (f) => {
      const xml = f.good();
      const i = xml.indexOf(f.anchor) + f.anchor.length;
      return Buffer.concat([Buffer.from(xml.slice(0, i)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(xml.slice(i))]);
    },
    code: 'XML_KHONG_HOP_LE',
  },
  { name: 'truncated document', body: (f) => f.good().slice(0, Math.floor(f.good().length / 2)), code: 'XML_KHONG_HOP_LE' },
  { name: 'not XML at all', body: () => '{"hoTen": "Nguyễn Văn Đức"}', code: 'XML_KHONG_HOP_LE' },
  { name: 'empty body', body: () => '', code: 'XML_KHONG_HOP_LE' },
  { name: 'body over the size limit', body: (f) => inside(f, f.good(), `<!--${'x'.repeat(5 * 1024 * 1024)}-->`), code: 'DU_LIEU_QUA_LON' },
  {
    name: 'wrong SOAP version',
    fronts: ['A', 'B'],
    body: (f) =>
      f.id === 'A'
        ? f.good().replace('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope')
        : f.good().replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/'),
    code: 'SAI_PHIEN_BAN_SOAP',
  },
  { name: 'missing body', fronts: ['A', 'B'], body: (f) => f.good().replace(/<soap:Body>[\s\S]*<\/soap:Body>/, ''), code: 'SOAP_KHONG_HOP_LE' },
  {
    name: 'two bodies',
    fronts: ['A', 'B'],
    body: (f) => {
      const xml = f.good();
      const body = /<soap:Body>[\s\S]*<\/soap:Body>/.exec(xml)![0];
      return xml.replace(body, body + body);
    },
    code: 'SOAP_KHONG_HOP_LE',
  },
  {
    name: 'SOAPAction naming an unknown operation',
    fronts: ['A', 'B'],
    body: (f) => f.good(),
    headers: (f) =>
      f.id === 'A'
        ? { ...f.headers, soapaction: '"http://qlcb.vendor-a.vn/XoaToanBoHoSo"' }
        : { ...f.headers, 'content-type': 'application/soap+xml; charset=UTF-8; action="urn:dropAll"' },
    code: 'THAO_TAC_KHONG_TON_TAI',
  },
  {
    name: 'body element naming an unknown operation',
    fronts: ['A', 'B'],
    body: (f) => (f.id === 'A' ? f.good().replace(/DongBoHoSo /g, 'XoaHoSo ').replace('</DongBoHoSo>', '</XoaHoSo>') : f.good().replace(/v2:submitRecords/g, 'v2:dropAll')),
    headers: (f) => (f.id === 'A' ? { ...f.headers, soapaction: '""' } : { 'content-type': 'application/soap+xml' }),
    code: 'THAO_TAC_KHONG_TON_TAI',
  },
  {
    name: 'payload with a DOCTYPE inside',
    fronts: ['B'],
    body: (f) => f.good().replace('&lt;records ', '&lt;!DOCTYPE records [&lt;!ENTITY x SYSTEM "file:///etc/shadow"&gt;]&gt;&lt;records '),
    code: 'XML_BI_TU_CHOI',
  },
  {
    name: 'payload that is not XML',
    fronts: ['B'],
    body: (f) => f.good().replace(/<payload>[\s\S]*<\/payload>/, '<payload>SELECT * FROM employees</payload>'),
    code: 'XML_KHONG_HOP_LE',
  },
  { name: 'wrong root element', fronts: ['C'], body: () => '<?xml version="1.0"?><CanBo><HoTen>x</HoTen></CanBo>', code: 'XML_KHONG_HOP_LE' },
];

/**
 * Either SOAP service answers an envelope of the other SOAP version with a SOAP 1.1
 * VersionMismatch fault (SOAP 1.1 §4.4.1; SOAP 1.2 part 1 appendix A), the form its sender reads.
 */
function expectVersionMismatch(res: { status: number; headers: Headers; text: string }, code: string): void {
  expect(res.status).toBe(500);
  expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
  const fault = xmlShape(res.text).children.at(-1)!.children[0];
  expect(fault.name).toBe('Fault');
  expect(fault.children[0]).toMatchObject({ name: 'faultcode', text: 'soap:VersionMismatch' });
  expect(fault.children[2].children[0]).toMatchObject({ name: 'MaLoi', uri: 'urn:ndxp-gateway:loi', text: code });
}

function expectProtocolFault(f: Front, res: { status: number; headers: Headers; text: string }, code: string): void {
  if (code === 'SAI_PHIEN_BAN_SOAP') return expectVersionMismatch(res, code);
  const tree = xmlShape(res.text);
  if (f.id === 'A') {
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const fault = tree.children[0].children[0];
    expect(fault.name).toBe('Fault');
    expect(fault.children[0]).toMatchObject({ name: 'faultcode', text: 'soap:Client' });
    expect(fault.children[1].text).toMatch(new RegExp(`\\(${code}\\)$`));
    expect(fault.children[2].children[0]).toMatchObject({ name: 'MaLoi', uri: 'urn:ndxp-gateway:loi', text: code });
  } else if (f.id === 'B') {
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    const fault = tree.children[0].children[0];
    expect(fault.children[0].children[0].text).toBe('soap:Sender');
    expect(fault.children[2].children[0].children[0]).toMatchObject({ name: 'code', text: code });
  } else {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(tree.name).toBe('KetQua');
    expect(tree.children[0]).toMatchObject({ name: 'Ma', text: '9' });
    expect(tree.children[1].text).toMatch(new RegExp(`\\(${code}\\)$`));
  }
  expect(res.text).not.toMatch(/at .*\.(ts|js):\d+/); // never a stack trace
}

describe.each(FRONTS)('hostile corpus against vendor $id', (f) => {
  const cases = CASES.filter((c) => !c.fronts || c.fronts.includes(f.id));
  it.each(cases)('$name → $code', async (c) => {
    const res = await post(h.url + f.path, c.body(f), c.headers ? c.headers(f) : f.headers);
    expect(h.captured.at(-1)!.answer.status).not.toBe(599);
    expect(h.captured.at(-1)!.answer.body.toString()).toContain(c.code);
    expectProtocolFault(f, res, c.code);
  });

  it('keeps serving the good request afterwards', async () => {
    const res = await post(h.url + f.path, f.good(), f.headers);
    expect(res.status).toBe(200);
  });
});
