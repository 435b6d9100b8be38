import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { CONTRACTS } from './helpers/env.js';
import {
  decodeLegacyBytes,
  isSupportedEncoding,
  looksLikeTcvn3,
  tcvn3ToUnicode,
  TCVN3_TABLE,
  textRepair,
  UnsupportedEncodingError,
} from '../adapters/text/index.js';

const SAMPLES = path.join(CONTRACTS, 'vendors/vendor-a-asmx/samples');

/** Leaf elements of the sample's hoSo, in document order (the samples use no entities or CDATA). */
function leafValues(xml: string): [string, string][] {
  const body = xml.slice(xml.indexOf('<hoSo>'));
  return [...body.matchAll(/<(\w+)>([^<]*)<\/\1>/g)].map((m) => [m[1], m[2]]);
}

describe('tcvn3ToUnicode', () => {
  it('converts the README examples', () => {
    expect(tcvn3ToUnicode('NguyÔn V¨n §øc')).toBe('Nguyễn Văn Đức');
    expect(tcvn3ToUnicode('Tr\u00adëng')).toBe('Trưởng');
    expect(tcvn3ToUnicode('Kh«ng')).toBe('Không');
  });

  it('passes ASCII and characters outside Latin-1 through', () => {
    expect(tcvn3ToUnicode('1234/QĐ-UBND')).toBe('1234/QĐ-UBND');
    expect(tcvn3ToUnicode('01.003 3,00 12/03/1985')).toBe('01.003 3,00 12/03/1985');
    const plain = 'abc';
    expect(tcvn3ToUnicode(plain)).toBe(plain);
  });

  it('maps every tone of every vowel to a distinct NFC letter', () => {
    const letters = [...TCVN3_TABLE.values()];
    expect(new Set(letters).size).toBe(letters.length);
    expect(letters.length).toBe(14 + 12 * 5);
    for (const ch of letters) expect(ch.normalize('NFC')).toBe(ch);
    // the lowercase vowels with all five tones
    const all = tcvn3ToUnicode([...TCVN3_TABLE.keys()].map((b) => String.fromCharCode(b)).join(''));
    for (const ch of 'àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ') expect(all).toContain(ch);
  });
});

describe('textRepair', () => {
  it('tcvn3: converts then composes', () => {
    expect(textRepair('tcvn3')('Phã Tr\u00adëng phßng')).toBe('Phó Trưởng phòng');
  });

  it('unicode: NFD becomes NFC, NFC is unchanged', () => {
    const nfd = 'Nguyễn Văn Đức'.normalize('NFD');
    expect(nfd).not.toBe('Nguyễn Văn Đức');
    expect(textRepair('unicode')(nfd)).toBe('Nguyễn Văn Đức');
    expect(textRepair('unicode')('Trưởng')).toBe('Trưởng');
  });

  it('unicode: leaves Latin-1 letters alone (no TCVN3 conversion without the key setting)', () => {
    expect(textRepair('unicode')('Ô')).toBe('Ô');
  });

  it('golden: the TCVN3 sample repairs to the Unicode sample, field by field', () => {
    const unicode = leafValues(readFileSync(path.join(SAMPLES, 'DongBoHoSo.request.xml'), 'utf8'));
    const tcvn3 = leafValues(readFileSync(path.join(SAMPLES, 'DongBoHoSo.tcvn3.request.xml'), 'utf8'));
    expect(tcvn3.length).toBe(unicode.length);
    expect(tcvn3.length).toBeGreaterThan(20);
    const repairedTcvn3 = tcvn3.map(([k, v]) => [k, textRepair('tcvn3')(v)]);
    const repairedUnicode = unicode.map(([k, v]) => [k, textRepair('unicode')(v)]);
    expect(repairedTcvn3).toEqual(repairedUnicode);
    expect(repairedTcvn3.find(([k]) => k === 'HoTen')?.[1]).toBe('Nguyễn Văn Đức');
  });
});

describe('decodeLegacyBytes', () => {
  it('decodes windows-1258 combining tone marks to NFC', () => {
    // "Việt" in CP1258: V i ê(0xEA) + combining dot below (0xF2) t
    const bytes = Buffer.from([0x56, 0x69, 0xea, 0xf2, 0x74]);
    expect(decodeLegacyBytes(bytes, 'windows-1258')).toBe('Việt');
    expect(decodeLegacyBytes(bytes, ' CP1258 ')).toBe('Việt');
  });

  it('decodes the vendor C sample', () => {
    const buf = readFileSync(path.join(CONTRACTS, 'vendors/vendor-c-xmlpost/samples/hoso.request.xml'));
    const text = decodeLegacyBytes(buf, 'windows-1258');
    expect(text).toContain('<HoTen>Phạm Thị Thủy</HoTen>');
    expect(text.normalize('NFC')).toBe(text);
  });

  it('round-trips NFD text encoded as windows-1258', () => {
    // CP1258's own form: base letters ă/ơ/ư precomposed, tone marks combining.
    const cp1258Form = 'Pha\u0323m Thi\u0323 Thu\u0309y, Đă\u0301k Lă\u0301k, Trươ\u0300ng';
    const bytes = iconv.encode(cp1258Form, 'windows-1258');
    expect(bytes.includes(0x3f)).toBe(false); // nothing fell back to '?'
    expect(decodeLegacyBytes(bytes, 'windows-1258')).toBe('Phạm Thị Thủy, Đắk Lắk, Trường');
  });

  it('decodes utf-8 and tcvn3 labels, drops a BOM', () => {
    expect(decodeLegacyBytes(Buffer.from('\ufeffĐức'.normalize('NFD'), 'utf8'), 'utf-8')).toBe('Đức');
    expect(decodeLegacyBytes(Buffer.from('§øc', 'latin1'), 'tcvn3')).toBe('Đức');
  });

  it('refuses an unknown label', () => {
    expect(isSupportedEncoding('windows-1258')).toBe(true);
    expect(isSupportedEncoding('x-klingon')).toBe(false);
    expect(() => decodeLegacyBytes(Buffer.from('a'), 'x-klingon')).toThrow(UnsupportedEncodingError);
  });
});

describe('looksLikeTcvn3', () => {
  it('spots TCVN3 and leaves Unicode alone', () => {
    expect(looksLikeTcvn3('NguyÔn V¨n §øc')).toBe(true);
    expect(looksLikeTcvn3('Phßng Tæ chøc c¸n bé')).toBe(true);
    expect(looksLikeTcvn3('Nguyễn Văn Đức')).toBe(false);
    expect(looksLikeTcvn3('Nguyễn Văn Đức'.normalize('NFD'))).toBe(false);
    expect(looksLikeTcvn3('José Müller')).toBe(false);
    expect(looksLikeTcvn3('ASCII only')).toBe(false);
  });
});
