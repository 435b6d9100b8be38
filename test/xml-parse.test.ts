import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { parseXmlBytes, parseXmlString } from '../adapters/xml/parse.js';
import { decodeXmlBytes } from '../adapters/xml/decode.js';
import { readSoapEnvelope, soap11Fault, soap12Fault, SOAP11_NS } from '../adapters/xml/soap.js';
import { XmlWriter, escapeAttr, escapeText } from '../adapters/xml/write.js';
import { attr, child, children, childText } from '../adapters/xml/tree.js';
import { readContractFile, wsdlWithAddress } from '../adapters/xml/wsdl.js';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { REPO } from './helpers/env.js';
import { GatewayError } from '../core/errors.js';
import { limits, sample, xmlShape } from './vendor-helpers.js';

function gwError(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a GatewayError');
}

describe('xml parser: the tree', () => {
  it('builds elements with qualified name, namespace, local name, attributes, text and positions', () => {
    const root = parseXmlString(
      '<?xml version="1.0"?>\n<a:root xmlns:a="urn:a" xmlns="urn:d" x="1" a:y="2">\n  <child>t&amp;&#x1EA1;<![CDATA[<raw>]]></child>\n  <child/>\n</a:root>',
      limits(),
    );
    expect(root).toMatchObject({ name: 'a:root', local: 'root', prefix: 'a', uri: 'urn:a', line: 2 });
    expect(attr(root, 'x')).toBe('1');
    expect(attr(root, 'y', 'urn:a')).toBe('2');
    expect(children(root, 'child', 'urn:d')).toHaveLength(2);
    expect(childText(root, 'child')).toBe('t&ạ<raw>');
    expect(child(root, 'child')!.line).toBe(3);
  });

  it('decodes by BOM, by declared encoding, and defaults to UTF-8', () => {
    const doc = '<?xml version="1.0" encoding="windows-1258"?><a>Thủy</a>';
    expect(parseXmlBytes(iconv.encode(doc.normalize('NFD'), 'windows-1258'), limits()).text).toBe('Thủy');
    expect(parseXmlBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>Đức</a>')]), limits()).text).toBe('Đức');
    expect(parseXmlBytes(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<a>Đức</a>', 'utf16le')]), limits()).text).toBe('Đức');
    expect(parseXmlBytes(Buffer.from('<a>Đức</a>'), limits()).text).toBe('Đức');
    expect(decodeXmlBytes(Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe9</a>', 'latin1'))).toContain('é');
  });

  it('refuses invalid UTF-8, unknown encodings and undefined code-page bytes', () => {
    expect(gwError(() => parseXmlBytes(Buffer.from([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]), limits())).code).toBe('XML_KHONG_HOP_LE');
    expect(gwError(() => parseXmlBytes(Buffer.from('<?xml version="1.0" encoding="klingon-8"?><a/>'), limits())).message).toContain('klingon-8');
    expect(gwError(() => parseXmlBytes(Buffer.from('<?xml version="1.0" encoding="utf-16"?><a/>'), limits())).code).toBe('XML_KHONG_HOP_LE');
  });

  it('explains well-formedness errors in Vietnamese with a position', () => {
    const err = gwError(() => parseXmlString('<a>\n<b></a>', limits()));
    expect(err.code).toBe('XML_KHONG_HOP_LE');
    expect(err.message).toMatch(/dòng \d+, cột \d+/);
    expect(gwError(() => parseXmlString('<a/><b/>', limits())).code).toBe('XML_KHONG_HOP_LE');
    expect(gwError(() => parseXmlString('', limits())).code).toBe('XML_KHONG_HOP_LE');
    expect(gwError(() => parseXmlString('<x:a/>', limits())).code).toBe('XML_KHONG_HOP_LE');
  });
});

describe('xml parser: hostile input', () => {
  it('refuses every DOCTYPE: internal entities, external entities, external DTDs', () => {
    for (const doc of [
      '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
      '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
      '<!DOCTYPE a SYSTEM "http://127.0.0.1:1/evil.dtd"><a/>',
      '<?xml version="1.0"?><!DOCTYPE a><a/>',
    ]) {
      const err = gwError(() => parseXmlString(doc, limits()));
      expect(err.code).toBe('XML_BI_TU_CHOI');
      expect(err.message).toContain('DOCTYPE');
    }
  });

  it('refuses the billion laughs before expanding anything', () => {
    const lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
      ']><lolz>&lol9;</lolz>';
    expect(gwError(() => parseXmlString(lol, limits())).code).toBe('XML_BI_TU_CHOI');
  });

  it('refuses undefined entities and processing instructions', () => {
    expect(gwError(() => parseXmlString('<a>&nbsp;</a>', limits())).code).toBe('XML_BI_TU_CHOI');
    expect(gwError(() => parseXmlString('<?xml-stylesheet href="x"?><a/>', limits())).code).toBe('XML_BI_TU_CHOI');
    expect(gwError(() => parseXmlString('<a><?php echo 1 ?></a>', limits())).code).toBe('XML_BI_TU_CHOI');
  });

  it('enforces depth, element count, attribute count, attribute length and text length', () => {
    const deep = '<a>'.repeat(65) + '</a>'.repeat(65);
    expect(gwError(() => parseXmlString(deep, limits())).message).toContain('độ sâu');
    expect(parseXmlString('<a>'.repeat(64) + '</a>'.repeat(64), limits()).local).toBe('a');
    const many = `<a>${'<b/>'.repeat(1000)}</a>`;
    expect(gwError(() => parseXmlString(many, limits({ xmlMaxElements: 1000 }))).message).toContain('số phần tử');
    expect(parseXmlString(many, limits({ xmlMaxElements: 1001 })).children).toHaveLength(1000);
    const attrs = `<a ${Array.from({ length: 65 }, (_, i) => `a${i}="1"`).join(' ')}/>`;
    expect(gwError(() => parseXmlString(attrs, limits())).message).toContain('thuộc tính');
    // A tag with 200,000 attributes is refused at the 65th, before saxes collects them all.
    const crowd = `<a ${Array.from({ length: 200_000 }, (_, i) => `a${i}="1"`).join(' ')}/>`;
    const crowdErr = gwError(() => parseXmlString(crowd, limits()));
    expect(crowdErr.internalReason).toBe('attribute count');
    expect(crowdErr.message).toMatch(/dòng 1, cột (\d+)/);
    expect(Number(/cột (\d+)/.exec(crowdErr.message)![1])).toBeLessThan(1000);
    const long = `<a x="${'x'.repeat(1024 * 1024)}"/>`;
    expect(gwError(() => parseXmlString(long, limits())).message).toContain('quá dài');
    const text = `<a>${'x'.repeat(2000)}</a>`;
    expect(gwError(() => parseXmlString(text, limits({ xmlMaxTextLength: 1000 }))).message).toContain('văn bản');
    expect(gwError(() => parseXmlBytes(Buffer.alloc(100, 0x20), limits({ maxBodyBytes: 50 }))).code).toBe('DU_LIEU_QUA_LON');
  });
});

describe('soap envelopes and faults', () => {
  const env11 = (inner: string) => `<s:Envelope xmlns:s="${SOAP11_NS}">${inner}</s:Envelope>`;
  it('finds header, body and the single operation', () => {
    const e = readSoapEnvelope(parseXmlString(env11('<s:Header><h/></s:Header><s:Body><op/></s:Body>'), limits()), '1.1');
    expect(e.operation.local).toBe('op');
    expect(e.header?.children[0].local).toBe('h');
  });

  it('refuses missing, doubled or empty bodies, two operations and the wrong version', () => {
    const code = (xml: string, v: '1.1' | '1.2' = '1.1') => gwError(() => readSoapEnvelope(parseXmlString(xml, limits()), v)).code;
    expect(code(env11('<s:Header/>'))).toBe('SOAP_KHONG_HOP_LE');
    expect(code(env11('<s:Body><a/></s:Body><s:Body><a/></s:Body>'))).toBe('SOAP_KHONG_HOP_LE');
    expect(code(env11('<s:Body/>'))).toBe('SOAP_KHONG_HOP_LE');
    expect(code(env11('<s:Body><a/><b/></s:Body>'))).toBe('SOAP_KHONG_HOP_LE');
    expect(code(env11('<s:Header/><s:Header/><s:Body><a/></s:Body>'))).toBe('SOAP_KHONG_HOP_LE');
    expect(code(env11('<s:Body><a/></s:Body>'), '1.2')).toBe('SAI_PHIEN_BAN_SOAP');
    expect(code('<Envelope><Body><a/></Body></Envelope>')).toBe('SOAP_KHONG_HOP_LE');
  });

  it('renders the SOAP 1.1 fault of the vendor A contract', () => {
    const f = soap11Fault(new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE'));
    expect(f.status).toBe(500);
    expect(xmlShape(f.body as string)).toEqual(xmlShape(sample('vendor-a-asmx', 'samples/auth-failure.response.xml')));
    const server = soap11Fault(new GatewayError('LOI_HE_THONG', { requestId: 'r<1>' }));
    expect(server.body).toContain('<faultcode>soap:Server</faultcode>');
    expect(server.body).toContain('r&lt;1&gt;');
  });

  it('renders SOAP 1.2 faults with 400 for Sender and 500 for Receiver', () => {
    expect(soap12Fault(new GatewayError('XML_KHONG_HOP_LE', { detail: 'x' })).status).toBe(400);
    // A rate limit is a Receiver fault (try again later), as vendor B's contract asks.
    expect(soap12Fault(new GatewayError('VUOT_HAN_MUC', { retryAfterSeconds: 3 })).status).toBe(500);
    expect(soap12Fault(new GatewayError('DANG_DUNG_DICH_VU')).status).toBe(500);
  });
});

describe('xml writer and wsdl address', () => {
  it('escapes text and attributes and drops characters XML cannot carry', () => {
    expect(escapeText('a<b>&c\u0001')).toBe('a&lt;b&gt;&amp;c');
    expect(escapeAttr('"x"\n\'')).toBe('&quot;x&quot;&#10;&apos;');
    const w = new XmlWriter().declaration().open('a', { b: 'x"y', c: undefined }).leaf('d', 'Đức & co').leaf('e', undefined).empty('f').close('a');
    expect(w.toString()).toBe('<?xml version="1.0" encoding="utf-8"?><a b="x&quot;y"><d>Đức &amp; co</d><f/></a>');
    expect(parseXmlString(w.toString(), limits()).children[0].text).toBe('Đức & co');
  });

  it('points soap:address and soap12:address at the gateway', () => {
    const wsdl = '<x><soap:address location="https://old/QLCBService.asmx"/><soap12:address location="https://old/v2"/></x>';
    expect(wsdlWithAddress(wsdl, 'https://gw:8443/', '/p')).toBe('<x><soap:address location="https://gw:8443/p"/><soap12:address location="https://gw:8443/p"/></x>');
  });

  it('finds a vendor contract file from the sources and from the compiled dist/ tree', () => {
    const fromSource = readContractFile(pathToFileURL(path.join(REPO, 'adapters/vendor-a-asmx/index.ts')).href, 'QLCBService.wsdl');
    const fromDist = readContractFile(pathToFileURL(path.join(REPO, 'dist/adapters/vendor-a-asmx/index.js')).href, 'QLCBService.wsdl');
    expect(fromDist).toBe(fromSource);
    expect(fromSource).toContain('QLCBServiceSoap');
    expect(() => readContractFile(pathToFileURL(path.join(REPO, 'dist/adapters/vendor-x/index.js')).href, 'none.wsdl')).toThrow(/not found/);
  });
});

describe('issue messages', () => {
  it('shortens quoted legacy values on code points', async () => {
    const { quote } = await import('../adapters/xml/issues.js');
    expect(quote('Nữ')).toBe('«Nữ»');
    const long = '😀'.repeat(100);
    const q = quote(long);
    expect(q).toBe(`«${'😀'.repeat(57)}…»`);
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(q)).toBe(false);
  });
});
