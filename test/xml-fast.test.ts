/**
 * The fast road of the XML parser (adapters/xml/fast.ts) against saxes (parseXmlWithSaxes):
 * whenever it returns a tree, saxes accepts the same document and builds the same tree (names,
 * namespaces, attributes in order, text, line and column of every element). Documents it gives
 * up on go to saxes whole, so every refusal stays saxes's (xml-parse.test.ts, vendor-hostile).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeXmlBytes } from '../adapters/xml/decode.js';
import { parseKnownXml } from '../adapters/xml/fast.js';
import { parseXmlString, parseXmlWithSaxes, type XmlElement, type XmlLimits } from '../adapters/xml/parse.js';
import { submitRecordsRequest } from '../adapters/vendor-b-jaxws/fixtures/requests.js';
import { dongBoHoSoRequest, dongBoDanhSachHoSoRequest } from '../adapters/vendor-a-asmx/fixtures/requests.js';
import { limits, sample } from './vendor-helpers.js';

const SMALL: XmlLimits = { xmlMaxDepth: 4, xmlMaxElements: 12, xmlMaxAttributes: 3, xmlMaxAttributeLength: 12, xmlMaxTextLength: 24 };

function saxes(doc: string, lim: XmlLimits): XmlElement | Error {
  try {
    return parseXmlWithSaxes(doc, lim);
  } catch (err) {
    return err as Error;
  }
}

/** Whenever the fast road answers, saxes accepts the document with the same tree. Returns whether it answered. */
function sameAsSaxes(doc: string, lim: XmlLimits): boolean {
  const fast = parseKnownXml(doc, lim);
  if (fast === undefined) return false;
  const slow = saxes(doc, lim);
  if (slow instanceof Error) throw new Error(`fast road accepted what saxes refuses (${slow.message}): ${JSON.stringify(doc)}`);
  expect(fast, JSON.stringify(doc)).toStrictEqual(slow);
  return true;
}

// ---- generated documents: mostly well-formed, with every awkward piece the grammar allows --------

/** Mostly what well-formed documents hold, sometimes what they must not. */
const mostly = <T,>(good: T[], bad: T[]) => fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });

const name = mostly(['a', 'b', 'soap:Envelope', 'p:a', 'q:b', 'x:y', 'a1', 'a-b', 'a.b', '_x', 'xml:lang'], ['é', 'aé', 'a:', ':a', 'a:b:c', 'p:1', 'xmlns:a', 'Đ', 'z:a']);
const uri = mostly(['urn:a', 'urn:b', ' urn:a ', 'urn:&amp;x'], ['', 'http://www.w3.org/XML/1998/namespace', 'http://www.w3.org/2000/xmlns/']);
const space = fc.constantFrom('', ' ', '  ', '\n', '\r\n', '\t', '\r');
const textPiece = mostly(
  ['x', 'text', ' ', '\n', '\r\n', '\r', '\t', '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#x41;', '&#x1ea1;', '&#9;', '&#10;', '&#13;', '&#x1F600;',
    ']]', ']', '>', 'Đức Thủy', '\u0085', '\u2028', '\u00A0', '\uFEFF', '<!-- c -->', '<!---->', '<![CDATA[<raw>&amp;]]>', '<![CDATA[a\r\nb]]]>', '<![CDATA[]]>', '"', "'"],
  ['&#X41;', '&#0;', '&#xD800;', '&#0000065;', '&nbsp;', '&;', '&', ';', ']]>', '\u0001', '\uFFFE', '😀', '\uD800', '<!-- a -- b -->', '<!--->', '<![cdata[x]]>',
    '<?pi x?>', '<!DOCTYPE a>', '</>', '< a>'],
);
const attrPiece = mostly(['v', ' ', '\n', '\t', '\r\n', '\r', '&amp;', '&#10;', '&#9;', '&lt;', '>', 'Đ', 'urn:a'], ['<', '&x;', '&', '"', "'"]);
const quote = fc.constantFrom('"', "'");

const attribute = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(space, name, space, space, quote, fc.array(attrPiece, { maxLength: 4 })).map(([s, n, s1, s2, q, v]) => ` ${s}${n}${s1}=${s2}${q}${v.join('')}${q}`) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('p', 'q', 'x', 'soap', ''), uri, quote).map(([p, u, q]) => ` xmlns${p ? `:${p}` : ''}=${q}${u}${q}`) },
  { weight: 1, arbitrary: fc.constantFrom(' a', ' a=v', 'a="1"', ' xmlns:xml="http://www.w3.org/XML/1998/namespace"', ' xmlns:xmlns="urn:a"', ' a="1" a="2"', ' p:a="1" q:a="2"') },
);

const { element } = fc.letrec<{ element: string; content: string }>((tie) => ({
  element: fc.tuple(name, fc.array(attribute, { maxLength: 3 }), space, fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: tie('content') }), fc.nat(29)).map(
    ([n, attrs, s, content, wrongClose]) =>
      content === null ? `<${n}${attrs.join('')}${s}/>` : `<${n}${attrs.join('')}${s}>${content}</${wrongClose === 0 ? 'b' : n}${s}>`,
  ),
  content: fc.array(fc.oneof({ weight: 3, arbitrary: textPiece }, { weight: 2, arbitrary: tie('element') }), { maxLength: 5 }).map((parts) => parts.join('')),
}));

const prolog = mostly(
  ['', '<?xml version="1.0"?>', "<?xml version='1.0' encoding='UTF-8'?>\n", '<?xml version="1.0" encoding="utf-8" standalone="yes" ?>\r\n', '<?xml version = "1.0"?>',
    '<!-- before -->\n', '\n\n'],
  ['<?xml version="1.1"?>', '<?xml version="1.0"encoding="x"?>', '<?xml?>', ' <?xml version="1.0"?>', '\uFEFF', '<!DOCTYPE a>', 'x', '<?pi?>'],
);
const epilog = mostly(['', '\n', ' <!-- after --> ', '\r\n'], ['x', '<b/>', '<![CDATA[x]]>', '&amp;', '<?pi?>']);

/** A namespace-declaring wrapper, so that prefixed names inside are mostly bound. */
const wrapped = fc.tuple(prolog, fc.nat(3), element, epilog).map(
  ([p, wrap, el, e]) => `${p}${wrap > 0 ? `<soap:Envelope xmlns:soap="urn:s" xmlns:p="urn:a" xmlns:q="urn:a" xmlns:x="urn:x">${el}</soap:Envelope>` : el}${e}`,
);

const mutation = fc.constantFrom('<', '>', '/', '&', ';', '"', "'", '=', ' ', '\n', '\r', ']', '-', '!', '?', ':', 'a', 'é', '\u0000', '\uD83D');

describe('xml fast road', () => {
  it('reads the vendors’ samples and fixtures itself, with the tree saxes builds', () => {
    const docs = [
      decodeXmlBytes(sample('vendor-a-asmx', 'samples/DongBoHoSo.request.xml')),
      decodeXmlBytes(sample('vendor-a-asmx', 'samples/DongBoHoSo.tcvn3.request.xml')),
      decodeXmlBytes(sample('vendor-b-jaxws', 'samples/submitRecords.request.xml')),
      decodeXmlBytes(sample('vendor-b-jaxws', 'samples/records.payload.xml')),
      decodeXmlBytes(sample('vendor-c-xmlpost', 'samples/hoso.request.xml')),
      dongBoHoSoRequest({ key: 'k.s', unitCode: '000.00.00.H03', personalId: '024085999001' }),
      dongBoDanhSachHoSoRequest({ key: 'k.s', unitCode: '000.00.00.H03', records: 3 }),
      submitRecordsRequest({ records: 3, key: 'k.s', softwareId: 'S', orgCode: '000.00.00.H03', firstPersonalId: 24085000001, batchId: 'B' }),
      submitRecordsRequest({ records: 2, key: 'k.s', softwareId: 'S', orgCode: '000.00.00.H03', firstPersonalId: 24085000001, batchId: 'B', cdata: true }),
    ];
    for (const doc of docs) {
      expect(sameAsSaxes(doc, limits()), doc.slice(0, 200)).toBe(true);
      expect(sameAsSaxes(doc.replace(/\n/g, '\r\n'), limits())).toBe(true);
    }
    // The payload inside vendor B's envelope too.
    const env = parseXmlString(docs[7], limits());
    const payload = env.children[1].children[0].children.find((c) => c.local === 'payload')!.text.trim();
    expect(sameAsSaxes(payload, limits())).toBe(true);
  });

  it('builds the tree saxes builds whenever it answers (generated documents, default and small limits)', () => {
    let answered = 0;
    let runs = 0;
    fc.assert(
      fc.property(wrapped, fc.boolean(), (doc, small) => {
        runs += 1;
        if (sameAsSaxes(doc, small ? SMALL : limits())) answered += 1;
      }),
      { numRuns: 4000 },
    );
    // The generator must exercise the fast road itself, not only its giving up.
    expect(answered / runs).toBeGreaterThan(0.1);
  });

  it('builds the tree saxes builds whenever it answers (mutated documents)', () => {
    fc.assert(
      fc.property(wrapped, fc.array(fc.tuple(fc.nat(), fc.nat(2), mutation), { minLength: 1, maxLength: 3 }), (doc, edits) => {
        let d = doc;
        for (const [at, kind, ch] of edits) {
          const i = d.length === 0 ? 0 : at % d.length;
          d = kind === 0 ? d.slice(0, i) + ch + d.slice(i) : kind === 1 ? d.slice(0, i) + d.slice(i + 1) : d.slice(0, i) + ch + d.slice(i + 1);
        }
        sameAsSaxes(d, limits());
      }),
      { numRuns: 4000 },
    );
  });

  it('answers with saxes’s positions on every kind of line end', () => {
    for (const nl of ['\n', '\r\n', '\r']) {
      const doc = `<?xml version="1.0"?>${nl}<a${nl}x="1${nl}2">${nl}  <b>t${nl}u</b>${nl}<c${nl}/><![CDATA[${nl}]]><!--${nl}--><d/></a>${nl}`;
      expect(sameAsSaxes(doc, limits())).toBe(true);
      const tree = parseKnownXml(doc, limits())!;
      expect(tree.attributes[0].value).toBe('1 2');
      expect(tree.children.map((c) => c.line)).toEqual([5, 8, 10]);
    }
  });

  it('gives up on what saxes must decide, which then refuses it as before', () => {
    for (const doc of ['<!DOCTYPE a><a/>', '<a>&nbsp;</a>', '<a><?php x?></a>', '<a>\u0001</a>', '<a x="1" x="2"/>', '<x:a/>', '<a>]]></a>', '<a>', '<a/><b/>']) {
      expect(parseKnownXml(doc, limits()), doc).toBeUndefined();
      expect(() => parseXmlString(doc, limits()), doc).toThrow();
    }
    // Outside the fast road's subset but good XML: saxes reads it.
    for (const doc of ['<é/>', '<a>😀</a>', '<a>&#0000000000065;</a>']) {
      expect(parseKnownXml(doc, limits()), doc).toBeUndefined();
      expect(parseXmlString(doc, limits()).local, doc).toBe(doc.slice(1, 2));
    }
    // Limits: the fast road gives up at the limit; saxes refuses with its message.
    expect(parseKnownXml('<a>'.repeat(65) + '</a>'.repeat(65), limits())).toBeUndefined();
    expect(parseKnownXml('<a><b/><b/></a>', limits({ xmlMaxElements: 2 }))).toBeUndefined();
    expect(parseKnownXml('<a>xxxx</a>', limits({ xmlMaxTextLength: 3 }))).toBeUndefined();
    expect(parseKnownXml('<a x="xxxx"/>', limits({ xmlMaxAttributeLength: 3 }))).toBeUndefined();
  });
});
