/**
 * TCVN3 (TCVN 5712:1993 "VN3", the ABC / .VnTime font encoding) → Unicode.
 *
 * Vendor A installations that migrated from the old .VnTime fonts still store Vietnamese text as
 * TCVN3 bytes; their .NET client puts those bytes in a UTF-8 SOAP message as if they were
 * Latin-1, so "Nguyễn Văn Đức" reaches us as "NguyÔn V¨n §øc". Every code unit U+00A1..U+00FE is
 * therefore read as the TCVN3 byte of the same value.
 *
 * What is mapped (the full VN3 repertoire of the .VnTime body fonts):
 *   - the 7 base capitals Ă Â Ê Ô Ơ Ư Đ (0xA1..0xA7),
 *   - the lowercase base letters ă â ê ô ơ ư đ (0xA8..0xAE; 0xAD is the soft hyphen U+00AD),
 *   - all 5 tones of a ă â e ê i o ô ơ u ư y in lowercase (0xB5..0xFE).
 * Not mapped: VN3 has no code points for toned capitals; old documents typed them with the
 * .VnTimeH "capital" fonts, which draw the *lowercase* code points as capitals. The bytes alone
 * cannot tell the two fonts apart, so such text comes out in lowercase (a font-dependent
 * ambiguity, out of scope). Code points 0xA1..0xFE that VN3 leaves unassigned, ASCII, and
 * anything outside Latin-1 (an already-Unicode "Đ" in "1234/QĐ-UBND") pass through unchanged.
 */

const PAIRS: [number, string][] = [
  [0xa1, 'Ă'], [0xa2, 'Â'], [0xa3, 'Ê'], [0xa4, 'Ô'], [0xa5, 'Ơ'], [0xa6, 'Ư'], [0xa7, 'Đ'],
  [0xa8, 'ă'], [0xa9, 'â'], [0xaa, 'ê'], [0xab, 'ô'], [0xac, 'ơ'], [0xad, 'ư'], [0xae, 'đ'],
  // a
  [0xb5, 'à'], [0xb6, 'ả'], [0xb7, 'ã'], [0xb8, 'á'], [0xb9, 'ạ'],
  // ă
  [0xbb, 'ằ'], [0xbc, 'ẳ'], [0xbd, 'ẵ'], [0xbe, 'ắ'], [0xc6, 'ặ'],
  // â
  [0xc7, 'ầ'], [0xc8, 'ẩ'], [0xc9, 'ẫ'], [0xca, 'ấ'], [0xcb, 'ậ'],
  // e
  [0xcc, 'è'], [0xce, 'ẻ'], [0xcf, 'ẽ'], [0xd0, 'é'], [0xd1, 'ẹ'],
  // ê
  [0xd2, 'ề'], [0xd3, 'ể'], [0xd4, 'ễ'], [0xd5, 'ế'], [0xd6, 'ệ'],
  // i
  [0xd7, 'ì'], [0xd8, 'ỉ'], [0xdc, 'ĩ'], [0xdd, 'í'], [0xde, 'ị'],
  // o
  [0xdf, 'ò'], [0xe1, 'ỏ'], [0xe2, 'õ'], [0xe3, 'ó'], [0xe4, 'ọ'],
  // ô
  [0xe5, 'ồ'], [0xe6, 'ổ'], [0xe7, 'ỗ'], [0xe8, 'ố'], [0xe9, 'ộ'],
  // ơ
  [0xea, 'ờ'], [0xeb, 'ở'], [0xec, 'ỡ'], [0xed, 'ớ'], [0xee, 'ợ'],
  // u
  [0xef, 'ù'], [0xf1, 'ủ'], [0xf2, 'ũ'], [0xf3, 'ú'], [0xf4, 'ụ'],
  // ư
  [0xf5, 'ừ'], [0xf6, 'ử'], [0xf7, 'ữ'], [0xf8, 'ứ'], [0xf9, 'ự'],
  // y
  [0xfa, 'ỳ'], [0xfb, 'ỷ'], [0xfc, 'ỹ'], [0xfd, 'ý'], [0xfe, 'ỵ'],
];

/** Index = Latin-1 code unit; undefined = pass through. */
const TABLE: (string | undefined)[] = new Array(256).fill(undefined);
for (const [byte, ch] of PAIRS) TABLE[byte] = ch;

/** The mapping as data, for documentation and tests. */
export const TCVN3_TABLE: ReadonlyMap<number, string> = new Map(PAIRS);

/** Converts TCVN3 text carried as Latin-1 characters to Unicode (not yet NFC-normalised; the result is NFC already for mapped letters). */
export function tcvn3ToUnicode(s: string): string {
  // Fast path: most fields (codes, dates, numbers) are ASCII and are returned as is.
  let i = 0;
  const n = s.length;
  while (i < n && (s.charCodeAt(i) < 0xa1 || s.charCodeAt(i) > 0xfe || TABLE[s.charCodeAt(i)] === undefined)) i++;
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    const mapped = c <= 0xff ? TABLE[c] : undefined;
    out += mapped ?? s[i];
  }
  return out;
}

/**
 * Code points that a Unicode Vietnamese text never contains but TCVN3 text carried as Latin-1
 * often does (the VN3 positions that are not themselves Vietnamese letters in Latin-1).
 */
const TCVN3_ONLY = new Set<number>(
  PAIRS.map(([b]) => b).filter((b) => !'ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý'.includes(String.fromCharCode(b))),
);

/**
 * Heuristic (a bonus, never a replacement for the key's encoding setting): true when the text has
 * characters that only TCVN3-as-Latin-1 produces and no characters that only real Unicode
 * Vietnamese has (ă ơ ư đ ĩ ũ and the U+1EA0..U+1EF9 block, or combining tone marks).
 */
export function looksLikeTcvn3(s: string): boolean {
  let tcvn = 0;
  let unicode = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xa1) continue;
    if (c <= 0xff) {
      if (TCVN3_ONLY.has(c)) tcvn++;
    } else if (
      (c >= 0x1ea0 && c <= 0x1ef9) ||
      (c >= 0x0300 && c <= 0x0323) ||
      c === 0x0102 || c === 0x0103 || c === 0x0110 || c === 0x0111 || c === 0x0128 || c === 0x0129 ||
      c === 0x0168 || c === 0x0169 || c === 0x01a0 || c === 0x01a1 || c === 0x01af || c === 0x01b0
    ) {
      unicode++;
    }
  }
  // Two hits at least: one stray ü or ß in a foreign name is not evidence.
  return tcvn >= 2 && tcvn > unicode;
}
