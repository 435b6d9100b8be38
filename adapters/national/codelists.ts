/**
 * The national code lists (copies of the contract's, under contract/codelists/) and the name →
 * code look-ups vendor fronts need. Legacy software writes names as clerks typed them, so matching
 * ignores case, tone and vowel marks (when that is unambiguous), spaces, hyphens and apostrophes,
 * and knows the common spelling variants (Khmer / Khơ-me, Mông / H'Mông / Hmong, Ê Đê / Ê-đê …).
 */
import danTocJson from './contract/codelists/dan-toc.json' with { type: 'json' };
import tonGiaoJson from './contract/codelists/ton-giao.json' with { type: 'json' };
import khenThuongJson from './contract/codelists/khen-thuong.json' with { type: 'json' };
import kyLuatJson from './contract/codelists/ky-luat.json' with { type: 'json' };
import ngachJson from './contract/codelists/ngach.json' with { type: 'json' };
import tinhJson from './contract/codelists/tinh-2025.json' with { type: 'json' };
import tinhCccdJson from './contract/codelists/tinh-cccd.json' with { type: 'json' };

export type CodeListName = 'dan-toc' | 'ton-giao' | 'khen-thuong' | 'ky-luat' | 'ngach' | 'tinh-2025' | 'tinh-cccd';

export interface Rank {
  ten: string;
  /** Salary table of Decree 204/2004 (A1, A2.1, B …). */
  bang: string;
}

export interface SalaryTable {
  heSoBac1: number;
  buoc: number;
  soBac: number;
}

export type PoliticalTheory = 'SO_CAP' | 'TRUNG_CAP' | 'CAO_CAP' | 'CU_NHAN';
export type EvaluationGrade = 'HTXSNV' | 'HTTNV' | 'HTNV' | 'KHTNV';

const LISTS: Record<CodeListName, Readonly<Record<string, unknown>>> = {
  'dan-toc': danTocJson.codes,
  'ton-giao': tonGiaoJson.codes,
  'khen-thuong': khenThuongJson.codes,
  'ky-luat': kyLuatJson.codes,
  ngach: ngachJson.codes,
  'tinh-2025': tinhJson.codes,
  'tinh-cccd': tinhCccdJson.codes,
};

const RANKS: Readonly<Record<string, Rank>> = ngachJson.codes;
const SALARY_TABLES: Readonly<Record<string, SalaryTable>> = ngachJson.bangLuong;

/** Is `code` in the list? (Exact code, as the national record carries it.) */
export function isKnownCode(list: CodeListName, code: string): boolean {
  return Object.prototype.hasOwnProperty.call(LISTS[list], code);
}

/** The list's entries, code → name (ranks: code → name too), for listings and help texts. */
export function codeList(list: CodeListName): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [code, v] of Object.entries(LISTS[list])) out[code] = typeof v === 'string' ? v : (v as Rank).ten;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Name keys

const SEPARATORS = /[\s\-‐‑–—'’‘ʼ`´.,_()/]+/g;
const COMBINING = /[\u0300-\u036f]/g;

/** Case-, space-, hyphen- and apostrophe-insensitive; keeps Vietnamese letters and tones. */
export function strictKey(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(SEPARATORS, '');
}

/** strictKey without any diacritics (đ → d): "Khơ-me" → "khome", "H'Mông" → "hmong". */
export function looseKey(s: string): string {
  return s.normalize('NFD').replace(COMBINING, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().replace(SEPARATORS, '');
}

/**
 * A name → code matcher. An exact (tone-aware) key always wins; the tone-free key is used only
 * when it points at exactly one code, so two names that differ only by tone marks are never
 * confused. `prefixes` additionally matches names that start with a known name
 * ("Huân chương Lao động hạng Ba" → Huân chương), longest known name first.
 */
class NameMatcher {
  private readonly strict = new Map<string, string>();
  private readonly loose = new Map<string, string | null>();
  private prefixList: [string, string][] = [];

  constructor(
    private readonly codes: Readonly<Record<string, string>>,
    aliases: Record<string, string[]>,
    private readonly options: { prefixes?: boolean; stripPrefixes?: string[] } = {},
  ) {
    for (const [code, name] of Object.entries(codes)) this.add(name, code);
    for (const [code, names] of Object.entries(aliases)) {
      if (!Object.prototype.hasOwnProperty.call(codes, code)) throw new Error(`alias for unknown code ${code}`);
      for (const name of names) this.add(name, code);
    }
    if (options.prefixes) this.prefixList = [...this.strict.entries()].sort((a, b) => b[0].length - a[0].length);
  }

  private add(name: string, code: string): void {
    this.strict.set(strictKey(name), code);
    const lk = looseKey(name);
    const prev = this.loose.get(lk);
    // null marks a tone-free key shared by different codes: ambiguous, so never used.
    this.loose.set(lk, prev === undefined || prev === code ? code : null);
  }

  match(input: string | undefined | null): string | undefined {
    if (input === undefined || input === null) return undefined;
    const trimmed = input.trim();
    if (trimmed === '') return undefined;
    // Codes themselves ("05", or "5" from a numeric column).
    if (/^[0-9]{1,2}$/.test(trimmed)) {
      const code = trimmed.padStart(2, '0');
      return Object.prototype.hasOwnProperty.call(this.codes, code) ? code : undefined;
    }
    let sk = strictKey(trimmed);
    let lk = looseKey(trimmed);
    for (const p of this.options.stripPrefixes ?? []) {
      const lp = looseKey(p);
      if (lk.startsWith(lp) && lk.length > lp.length) {
        const hit = this.lookup(sk, lk);
        if (hit) return hit;
        sk = sk.slice(strictKey(p).length);
        lk = lk.slice(lp.length);
      }
    }
    const hit = this.lookup(sk, lk);
    if (hit || !this.options.prefixes) return hit;
    for (const [key, code] of this.prefixList) if (sk.startsWith(key)) return code;
    // Tone-free prefixes, again only when unambiguous.
    let found: string | undefined;
    let foundLen = 0;
    for (const [key, code] of this.loose) {
      if (code === null || key.length <= foundLen || !lk.startsWith(key)) continue;
      found = code;
      foundLen = key.length;
    }
    return found;
  }

  private lookup(sk: string, lk: string): string | undefined {
    const exact = this.strict.get(sk);
    if (exact) return exact;
    return this.loose.get(lk) ?? undefined;
  }
}

const ETHNIC = new NameMatcher(
  danTocJson.codes,
  {
    '01': ['Việt', 'Kinh (Việt)', 'Người Kinh'],
    '04': ['Hán', 'Người Hoa'],
    '05': ['Khmer', 'Khơ me', 'Khơme', 'Khmer Krom', 'Khơ-me Crôm'],
    '08': ['Mông', "H'Mông", 'HMông', 'Hmong', "H'Mong", 'Mèo'],
    '10': ['Jrai', 'Jarai', 'Gia Rai'],
    '12': ['Ê Đê', 'Êđê', 'Ede', 'Rhadé'],
    '13': ['Ba-na', 'Bana', 'Bahnar'],
    '14': ['Xơ Đăng', 'Sedang', 'Xê Đăng'],
    '16': ["K'Ho", 'Koho', 'Cơ Ho'],
    '19': ["H'rê", 'Hre'],
    '20': ["M'Nông", 'Mơ Nông'],
    '21': ['Raglai', 'Ra Glai'],
    '22': ["X'Tiêng", 'Stiêng', 'Xa Điêng'],
    '23': ['Bru Vân Kiều', 'Vân Kiều', 'Bru'],
    '26': ['Katu', 'Ca Tu'],
    '27': ['Giẻ Triêng', 'Giẻ-Triêng', 'Gié-Triêng'],
    '29': ['Khmu', 'Khơ Mú'],
    '31': ['Tà Ôi', 'Pa Kô', 'Pa Cô'],
    '32': ['Chơro', 'Chơ Ro', 'Châu Ro'],
    '34': ['Xinh Mun'],
    '36': ['Chu-ru', 'Churu'],
    '40': ['Phù Lá', 'Xá Phó'],
    '46': ['Pà Hưng', 'Pà Thẻn'],
    '53': ['Ơ-đu', 'Tày Hạt'],
    '54': ['Rơ-măm'],
    '55': ['Nước ngoài'],
    '99': ['Chưa rõ', 'Không xác định'],
  },
  { stripPrefixes: ['dân tộc', 'người'] },
);

const RELIGION = new NameMatcher(
  tonGiaoJson.codes,
  {
    '00': ['Không có', 'Không tôn giáo', 'Không theo tôn giáo', 'Không theo tôn giáo nào', 'Không theo đạo', 'Không đạo', 'Chưa có', 'Không có đạo'],
    '01': ['Phật', 'Đạo Phật', 'Phật giáo Việt Nam'],
    '02': ['Thiên Chúa giáo', 'Thiên Chúa', 'Công giáo La Mã', 'Đạo Thiên Chúa', 'Công giáo Việt Nam'],
    '03': ['Hòa Hảo', 'Phật giáo Hoà Hảo', 'Hoà Hảo'],
    '04': ['Islam', 'Đạo Hồi', 'Hồi giáo Việt Nam', 'Chăm Bani', 'Bani'],
    '05': ['Đạo Cao Đài', 'Cao Đài giáo'],
    '06': ['Minh Sư đạo'],
    '07': ['Minh Lý đạo Tam Tông Miếu', 'Minh Lý'],
    '08': ['Tin Lành', 'Đạo Tin Lành', 'Tin lành Việt Nam', 'Kháng Cách'],
    '09': ['Tịnh độ cư sĩ'],
    '10': ['Tứ Ân Hiếu Nghĩa'],
    '11': ['Bửu Sơn Kỳ Hương'],
    '12': ["Bahá'í", 'Baha’i', 'Bahai', "Ba Ha'i"],
    '13': ['Bà-la-môn', 'Bàlamôn', 'Bà La Môn giáo', 'Chăm Bà-la-môn'],
    '14': ['Mặc Môn giáo', 'Các Thánh hữu Ngày sau', 'Giáo hội Các Thánh hữu Ngày sau của Chúa Giê-su Ky-tô'],
  },
  { stripPrefixes: ['tôn giáo'] },
);

const AWARD = new NameMatcher(
  khenThuongJson.codes,
  {
    '00': ['Huân chương Sao vàng', 'Huân chương Hồ Chí Minh', 'Huân chương Độc lập', 'Huân chương Lao động', 'Huân chương Quân công', 'Huân chương Chiến công', 'Huân chương Bảo vệ Tổ quốc', 'Huân chương Dũng cảm', 'Huân chương Hữu nghị'],
    '01': ['Huy chương Quân kỳ quyết thắng', 'Huy chương Vì an ninh Tổ quốc', 'Huy chương Chiến sĩ vẻ vang', 'Huy chương Hữu nghị'],
    '02': ['Anh hùng Lao động', 'Anh hùng Lực lượng vũ trang nhân dân', 'Bà mẹ Việt Nam anh hùng', 'Nhà giáo Nhân dân', 'Nhà giáo Ưu tú', 'Thầy thuốc Nhân dân', 'Thầy thuốc Ưu tú', 'Nghệ sĩ Nhân dân', 'Nghệ sĩ Ưu tú', 'Nghệ nhân Nhân dân', 'Nghệ nhân Ưu tú', 'Danh hiệu vinh dự Nhà nước'],
    '03': ['Giải thưởng Hồ Chí Minh', 'Giải thưởng Nhà nước'],
    '04': ['Kỉ niệm chương'],
    '05': ['Bằng khen của Thủ tướng Chính phủ', 'Bằng khen Thủ tướng'],
  },
  { prefixes: true },
);

const DISCIPLINE = new NameMatcher(
  kyLuatJson.codes,
  {
    '01': ['Khiển trách'],
    '03': ['Cách chức'],
    '05': ['Hạ một bậc lương', 'Hạ bậc'],
    '07': ['Buộc thôi việc', 'Buộc thôi làm'],
    '99': ['Hình thức khác', 'Khác'],
  },
  { prefixes: true, stripPrefixes: ['hình thức'] },
);

/** Ethnic group name (or code) → dan-toc code. */
export function ethnicCode(nameOrCode: string | undefined | null): string | undefined {
  return ETHNIC.match(nameOrCode);
}

/** Religion name (or code) → ton-giao code; "Không", "Không có" → "00". */
export function religionCode(nameOrCode: string | undefined | null): string | undefined {
  return RELIGION.match(nameOrCode);
}

/** Award form name (or code) → khen-thuong code; "Huân chương Lao động hạng Ba" → "00". */
export function awardCode(nameOrCode: string | undefined | null): string | undefined {
  return AWARD.match(nameOrCode);
}

/** Disciplinary measure name (or code) → ky-luat code. */
export function disciplineCode(nameOrCode: string | undefined | null): string | undefined {
  return DISCIPLINE.match(nameOrCode);
}

/** Civil service rank by code (01.003 → {ten: 'Chuyên viên', bang: 'A1'}). */
export function rank(code: string): Rank | undefined {
  return Object.prototype.hasOwnProperty.call(RANKS, code) ? RANKS[code] : undefined;
}

const COEFFICIENTS = new Map<string, readonly number[]>();
for (const [bang, t] of Object.entries(SALARY_TABLES)) {
  // Rounded to two decimals: 2.34 + 2 × 0.33 is 3.0000000000000004 in binary floating point.
  COEFFICIENTS.set(bang, Object.freeze(Array.from({ length: t.soBac }, (_, i) => Math.round((t.heSoBac1 + i * t.buoc) * 100) / 100)));
}

/** The coefficients of a salary table, step 1 first ([] for an unknown table). */
export function salaryCoefficients(bang: string): readonly number[] {
  return COEFFICIENTS.get(bang) ?? [];
}

/** The table's parameters, or undefined. */
export function salaryTable(bang: string): SalaryTable | undefined {
  return Object.prototype.hasOwnProperty.call(SALARY_TABLES, bang) ? SALARY_TABLES[bang] : undefined;
}

/** Post-2025 province name by 2-digit code. */
export function provinceName(code: string): string | undefined {
  return isKnownCode('tinh-2025', code) ? (tinhJson.codes as Record<string, string>)[code] : undefined;
}

/** Province of birth from the first three digits of a 12-digit personal ID (pre-2025 provinces). */
export function cccdProvince(code3: string): string | undefined {
  return isKnownCode('tinh-cccd', code3) ? (tinhCccdJson.codes as Record<string, string>)[code3] : undefined;
}

const THEORY: [string, PoliticalTheory][] = [
  ['socap', 'SO_CAP'],
  ['trungcap', 'TRUNG_CAP'],
  ['caocap', 'CAO_CAP'],
  ['cunhan', 'CU_NHAN'],
];

/** Political theory level: "Sơ cấp" / "Trung cấp" / "Cao cấp" / "Cử nhân" (also the enum itself) → enum. */
export function politicalTheory(name: string | undefined | null): PoliticalTheory | undefined {
  if (!name) return undefined;
  const t = name.trim();
  if ((['SO_CAP', 'TRUNG_CAP', 'CAO_CAP', 'CU_NHAN'] as string[]).includes(t.toUpperCase())) return t.toUpperCase() as PoliticalTheory;
  // "Cao cấp lý luận chính trị", "Cử nhân chính trị", "Trung cấp LLCT": the level comes first.
  const lk = looseKey(t).replace(/^(lyluanchinhtri|llct)/, '');
  for (const [key, value] of THEORY) if (lk.startsWith(key)) return value;
  return undefined;
}

const GRADES: [string, EvaluationGrade][] = [
  ['khonghoanthanhnhiemvu', 'KHTNV'],
  ['khonghoanthanh', 'KHTNV'],
  ['hoanthanhxuatsacnhiemvu', 'HTXSNV'],
  ['hoanthanhtotnhiemvu', 'HTTNV'],
  ['hoanthanhnhiemvu', 'HTNV'],
  ['xuatsac', 'HTXSNV'],
  ['tot', 'HTTNV'],
  ['hoanthanh', 'HTNV'],
];

/** Evaluation grade: the national enum, or its Vietnamese wording ("Hoàn thành tốt nhiệm vụ") → enum. */
export function evaluationGrade(name: string | undefined | null): EvaluationGrade | undefined {
  if (!name) return undefined;
  const t = name.trim().toUpperCase();
  if (t === 'HTXSNV' || t === 'HTTNV' || t === 'HTNV' || t === 'KHTNV') return t;
  const lk = looseKey(name).replace(/^(muc|xeploai)/, '');
  for (const [key, value] of GRADES) if (lk === key) return value;
  return undefined;
}

/** Gender as the record carries it: Nam/Nữ, M/F/U, 1/2/0 → 1 / 2 / 0. */
export function genderCode(value: string | undefined | null): 0 | 1 | 2 | undefined {
  if (value === undefined || value === null) return undefined;
  switch (looseKey(value)) {
    case 'nam':
    case 'm':
    case 'male':
    case '1':
      return 1;
    case 'nu':
    case 'f':
    case 'female':
    case '2':
      return 2;
    case 'u':
    case '0':
    case 'khongro':
    case 'chuaro':
      return 0;
    default:
      return undefined;
  }
}
