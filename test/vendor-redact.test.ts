/**
 * Credentials out of request bodies before the audit trail keeps them: the XML scanner each SOAP
 * front uses (adapters/xml/redact.ts) and the pipeline's removal of every presented credential
 * value (gateway/pipeline/redact.ts), on readable and unreadable bodies in every encoding the
 * fronts accept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redactXmlElements } from '../adapters/xml/redact.js';
import { bodiesForAudit, presentedSecrets, scrubValues } from '../gateway/pipeline/redact.js';
import { vendorA } from '../adapters/vendor-a-asmx/index.js';
import { vendorB } from '../adapters/vendor-b-jaxws/index.js';
import { vendorC } from '../adapters/vendor-c-xmlpost/index.js';
import { jsonFront } from '../adapters/json/index.js';
import { quietLogger } from '../core/log.js';
import { limits, meta, sample } from './vendor-helpers.js';
import { redactXmlElementsByText } from './helpers/redact-reference.js';

const KEY = 'KN7Q2ZB4.s3cr3t-Zx9vLq0pW4nM8yR2tK6hJ1cF5gD3aS7e';
const SECRET = KEY.split('.')[1];
const text = (xml: string) => redactXmlElements(Buffer.from(xml, 'utf8'), ['MaKetNoi', 'Password']).toString('utf8');

describe('redactXmlElements', () => {
  it('gives, byte for byte, what the string-based form it replaced gave (generated bodies in every view)', () => {
    const piece = fc.oneof(
      fc.constantFrom('<MaKetNoi>', '</MaKetNoi>', '<a:Password Type="x>y">', '</a:Password>', '<maketnoi/>', '<Password >', '</Password\n>', '<MaKetNoi', '<!--', '-->', '<![CDATA[',
        ']]>', '<?', '?>', '<', '>', '/', '"', "'", '=', ' ', '\n', '\u00a0', '\u0085', 'k', 'Đức', '<b>', '</b>', '<b/>', '<MaKetNoi\u00a0x>', '\u2028'),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), fc.constantFrom('utf8', 'latin1', 'utf16le', 'utf16be', 'bom-le'), (parts, enc) => {
        const xml = parts.join('');
        let body: Buffer;
        if (enc === 'utf16be') body = Buffer.from(xml, 'utf16le').swap16();
        else if (enc === 'bom-le') body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xml, 'utf16le')]);
        else body = Buffer.from(xml, enc);
        for (const b of [body, body.subarray(0, Math.max(0, body.length - 1))]) {
          expect(redactXmlElements(b, ['MaKetNoi', 'Password'])).toEqual(redactXmlElementsByText(b, ['MaKetNoi', 'Password']));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('replaces the content of the named elements, whatever their prefix, and nothing else', () => {
    expect(text(`<a><MaKetNoi>${KEY}</MaKetNoi><MaDonVi>H03</MaDonVi></a>`)).toBe('<a><MaKetNoi>***</MaKetNoi><MaDonVi>H03</MaDonVi></a>');
    expect(text(`<wsse:Password Type="x>y">${KEY}</wsse:Password><wsse:Username>HRM</wsse:Username>`)).toBe('<wsse:Password Type="x>y">***</wsse:Password><wsse:Username>HRM</wsse:Username>');
    expect(text('<a><MaKetNoi/><b>1</b></a>')).toBe('<a><MaKetNoi/><b>1</b></a>');
    const plain = Buffer.from('<a><b>nothing to hide</b></a>');
    expect(redactXmlElements(plain, ['MaKetNoi'])).toBe(plain);
  });

  it('hides CDATA, entity forms and a key split around an end tag hidden in a comment', () => {
    expect(text(`<MaKetNoi><![CDATA[${KEY}]]></MaKetNoi>`)).toBe('<MaKetNoi>***</MaKetNoi>');
    expect(text(`<MaKetNoi>abc<!-- </MaKetNoi> -->${SECRET}</MaKetNoi><x/>`)).toBe('<MaKetNoi>***</MaKetNoi><x/>');
    expect(text(`<MaKetNoi>&#x4B;${SECRET}</MaKetNoi>`)).toBe('<MaKetNoi>***</MaKetNoi>');
  });

  it('on broken XML: an unclosed credential element is hidden to the end; a commented-out one is hidden too', () => {
    expect(text(`<soap:Envelope><MaKetNoi>${KEY}<MaDonVi>H03</MaDonVi>`)).toBe('<soap:Envelope><MaKetNoi>***');
    expect(text(`<!-- old: <MaKetNoi>${KEY}</MaKetNoi> --><a/>`)).toBe('<!-- old: <MaKetNoi>***</MaKetNoi> --><a/>');
    expect(text(`<maketnoi>${KEY}</maketnoi>`)).toBe('<maketnoi>***</maketnoi>');
  });

  it('works on UTF-16 (LE and BE, with or without BOM) and leaves legacy single-byte text as sent', () => {
    const xml = `<?xml version="1.0" encoding="utf-16"?><a><MaKetNoi>${KEY}</MaKetNoi><b>Đức</b></a>`;
    const le = Buffer.from(xml, 'utf16le');
    const be = Buffer.from(le).swap16();
    for (const body of [Buffer.concat([Buffer.from([0xff, 0xfe]), le]), le, Buffer.concat([Buffer.from([0xfe, 0xff]), be]), be]) {
      const out = redactXmlElements(body, ['MaKetNoi']);
      expect(out.includes(Buffer.from(SECRET, 'utf16le'))).toBe(false);
      expect(out.includes(Buffer.from(Buffer.from(SECRET, 'utf16le')).swap16())).toBe(false);
      expect(out.length).toBeLessThan(body.length);
    }
    expect(redactXmlElements(le, ['MaKetNoi']).toString('utf16le')).toBe(xml.replace(KEY, '***'));
    // Vendor C's Windows-1258 sample with a key inserted: every other byte stays as sent.
    const raw = sample('vendor-c-xmlpost', 'samples/hoso.request.xml');
    const at = raw.indexOf('<HoSoCanBo>') + '<HoSoCanBo>'.length;
    const withKey = Buffer.concat([raw.subarray(0, at), Buffer.from(`<MaKetNoi>${KEY}</MaKetNoi>`), raw.subarray(at)]);
    expect(redactXmlElements(withKey, ['MaKetNoi'])).toEqual(Buffer.concat([raw.subarray(0, at), Buffer.from('<MaKetNoi>***</MaKetNoi>'), raw.subarray(at)]));
  });
});

describe('bodies for the audit trail', () => {
  it('each SOAP front hides its own credential element, parsed or not', () => {
    const a = Buffer.from(sample('vendor-a-asmx', 'samples/DongBoHoSo.request.xml').toString('utf8').replace('{{CONNECTION_KEY}}', KEY));
    const b = Buffer.from(sample('vendor-b-jaxws', 'samples/submitRecords.request.xml').toString('utf8').replace('{{CONNECTION_KEY}}', KEY));
    for (const [front, body] of [[vendorA, a], [vendorB, b]] as const) {
      for (const bytes of [body, body.subarray(0, body.indexOf(SECRET) + 10)]) {
        const kept = bodiesForAudit(front, meta(front.paths[0]), undefined, bytes, 'answer', quietLogger());
        expect(kept.request!.includes(SECRET)).toBe(false);
      }
    }
    // The key the front read is scrubbed wherever else it appears, also in the answer.
    const call = vendorA.readRequest(a, meta('/QLCBService.asmx', { 'content-type': 'text/xml; charset=utf-8' }), limits());
    const echoed = Buffer.from(a.toString('utf8').replace('<HoTen>', `<HoTen>${KEY}`));
    const kept = bodiesForAudit(vendorA, meta('/QLCBService.asmx'), call, echoed, `<fault>${SECRET}</fault>`, quietLogger());
    expect(kept.request!.includes(SECRET)).toBe(false);
    expect(kept.response.toString()).toBe('<fault>***</fault>');
  });

  it('header credentials (vendor C, JSON, bearer, HTTP Basic) are scrubbed from both bodies', () => {
    const basic = `Basic ${Buffer.from(`KN7Q2ZB4:${SECRET}`).toString('base64')}`;
    const token = `ndxpat.eyJrIjoiS043UTJaQjQifQ.${SECRET}`;
    for (const [front, headers, secret] of [
      [vendorC, { 'x-connection-key': KEY }, SECRET],
      [jsonFront, { 'x-connection-key': [KEY, 'x'] }, SECRET],
      [jsonFront, { authorization: `Bearer ${token}` }, token],
      [jsonFront, { authorization: basic }, SECRET],
    ] as const) {
      const m = meta(front.paths[0], headers as never);
      const kept = bodiesForAudit(front, m, undefined, Buffer.from(`{"note":"${secret}"}`), Buffer.from(`echo ${secret}`), quietLogger());
      expect(kept.request!.toString()).toBe('{"note":"***"}');
      expect(kept.response.toString()).toBe('echo ***');
    }
  });

  it('scrubs UTF-16 forms and ignores values too short to be keys', () => {
    const body = Buffer.concat([Buffer.from('a'), Buffer.from(SECRET, 'utf16le'), Buffer.from(Buffer.from(SECRET, 'utf16le')).swap16()]);
    const out = scrubValues(body, [SECRET]);
    expect(out.includes(Buffer.from(SECRET, 'utf16le'))).toBe(false);
    expect(presentedSecrets(meta('/x', { 'x-connection-key': 'abc' }))).toEqual([]);
  });

  it('a redactor that fails means no body is kept, never the raw one', () => {
    const broken = { ...vendorA, redactBody: () => { throw new Error('boom'); } };
    const logged: string[] = [];
    const log = { ...quietLogger(), error: (msg: string) => void logged.push(msg) };
    const kept = bodiesForAudit(broken, meta('/QLCBService.asmx'), undefined, Buffer.from(`<MaKetNoi>${KEY}</MaKetNoi>`), 'x', log);
    expect(kept.request).toBeUndefined();
    expect(logged).toEqual(['Không che được thông tin bí mật trong nội dung yêu cầu; nội dung không được lưu']);
  });
});
