/**
 * A deterministic generator of realistic personnel records for the national synchronisation
 * benchmark: record i is a pure function of (seed, i), so any process can produce any slice of
 * the 2,073,460 records and the runner can recompute which ones were valid.
 *
 * The country: the 34 provinces of the 2025 tree (contract code list tinh-2025) and the 63 old
 * ones (tinh-cccd); old province k is merged into new province k mod 34 (illustrative, not the
 * real merger list). Each new province has a root unit 000.00.00.N<cc> and 12 departments
 * 000.<dd>.31.N<cc>; the old codes (000.<dd>.31.H<kk>) are re-homed by level-1 rules
 * H<kk> → N<cc>. Records carry an old unit code 80 % of the time (installations that did not
 * update yet), the new one otherwise. One connection key per new province sends in the name of
 * its first old province; even provinces use vendor A (every other one of them in TCVN3), odd
 * ones vendor B.
 *
 * Invalid on purpose (1 % by default): a 9-digit CMND instead of the 12-digit CCCD, or a salary
 * coefficient that is not a step of the rank's table.
 */
import { readFileSync } from 'node:fs';
import { TCVN3_TABLE } from '../../adapters/text/index.js';
import { escapeText } from '../../adapters/xml/write.js';

export const NATIONAL_TOTAL = 2_073_460;

const contract = (name: string) => JSON.parse(readFileSync(new URL(`../../adapters/national/contract/codelists/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

export interface Province {
  index: number;
  code: string;
  name: string;
  unitRoot: string;
  /** Old provinces merged into this one: { code3, level1, name }. */
  old: { code3: string; level1: string; name: string }[];
  weight: number;
  vendor: 'vendor-a-asmx' | 'vendor-b-jaxws';
  encoding: 'unicode' | 'tcvn3';
}

export interface Country {
  provinces: Province[];
  rules: { maCap1Cu: string; maCap1Moi: string; tuNgay: string; ghiChu?: string }[];
  tree: { maDinhDanh: string; ten: string; cap: number; maDonViCha?: string; hieuLucTu: string; maCu?: string[] }[];
  ranks: { code: string; ten: string; coefficients: number[] }[];
  cumulative: number[];
}

export const DEPARTMENTS = [
  'Sở Nội vụ', 'Sở Tài chính', 'Sở Tư pháp', 'Sở Xây dựng', 'Sở Y tế', 'Sở Giáo dục và Đào tạo', 'Sở Công Thương',
  'Sở Nông nghiệp và Môi trường', 'Sở Khoa học và Công nghệ', 'Sở Văn hóa, Thể thao và Du lịch', 'Thanh tra tỉnh', 'Văn phòng UBND tỉnh',
];

export function buildCountry(): Country {
  const newCodes = Object.entries((contract('tinh-2025.json') as { codes: Record<string, string> }).codes);
  const oldCodes = Object.entries((contract('tinh-cccd.json') as { codes: Record<string, string> }).codes);
  const provinces: Province[] = newCodes.map(([code, name], index) => ({
    index,
    code,
    name,
    unitRoot: `000.00.00.N${code}`,
    old: [],
    weight: 0,
    vendor: index % 2 === 0 ? 'vendor-a-asmx' : 'vendor-b-jaxws',
    encoding: index % 4 === 2 ? 'tcvn3' : 'unicode',
  }));
  oldCodes.forEach(([code3, name], k) => provinces[k % provinces.length].old.push({ code3, level1: `H${code3.slice(1)}`, name }));
  // Bigger provinces (more old provinces merged, and the two largest cities) hold more staff.
  for (const p of provinces) p.weight = p.old.length * (p.code === '01' || p.code === '79' ? 4 : 1 + (p.index % 3));
  const cumulative: number[] = [];
  let acc = 0;
  for (const p of provinces) cumulative.push((acc += p.weight));

  const rules = provinces.flatMap((p) => p.old.map((o) => ({ maCap1Cu: o.level1, maCap1Moi: `N${p.code}`, tuNgay: '2025-07-01', ghiChu: `${o.name} → ${p.name}` })));
  const tree: Country['tree'] = [];
  for (const p of provinces) {
    tree.push({ maDinhDanh: p.unitRoot, ten: `UBND ${p.name}`, cap: 1, hieuLucTu: '2025-07-01', maCu: p.old.map((o) => `000.00.00.${o.level1}`) });
    DEPARTMENTS.forEach((ten, d) => {
      const dd = String(d + 1).padStart(2, '0');
      tree.push({ maDinhDanh: `000.${dd}.31.N${p.code}`, ten: `${ten} ${p.name}`, cap: 2, maDonViCha: p.unitRoot, hieuLucTu: '2025-07-01' });
    });
  }
  const ngach = contract('ngach.json') as { codes: Record<string, { ten: string; bang: string }>; bangLuong: Record<string, { heSoBac1: number; buoc: number; soBac: number }> };
  const ranks = Object.entries(ngach.codes)
    .filter(([, r]) => ngach.bangLuong[r.bang])
    .map(([code, r]) => {
      const b = ngach.bangLuong[r.bang];
      return { code, ten: r.ten, coefficients: Array.from({ length: b.soBac }, (_, s) => Math.round((b.heSoBac1 + s * b.buoc) * 100) / 100) };
    });
  return { provinces, rules, tree, ranks, cumulative };
}

/** Mulberry32 seeded per record: record i never depends on any other. */
export function rngFor(seed: number, i: number): () => number {
  let a = (Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rng: () => number, list: readonly T[]): T => list[Math.floor(rng() * list.length)];

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý', 'Đinh', 'Lương', 'Trịnh', 'Mai'];
const MIDDLE_M = ['Văn', 'Hữu', 'Đức', 'Minh', 'Quang', 'Thanh', 'Công', 'Xuân', 'Ngọc', 'Đình', 'Tiến', 'Mạnh'];
const MIDDLE_F = ['Thị', 'Ngọc', 'Thu', 'Thanh', 'Minh', 'Phương', 'Kim', 'Thùy', 'Hồng', 'Diệu', 'Bích', 'Mỹ'];
const GIVEN_M = ['An', 'Bình', 'Cường', 'Dũng', 'Đức', 'Giang', 'Hải', 'Hùng', 'Khánh', 'Long', 'Nam', 'Phúc', 'Quang', 'Sơn', 'Thắng', 'Trung', 'Tuấn', 'Việt', 'Hiếu', 'Lộc', 'Thịnh', 'Nghĩa', 'Tùng', 'Vĩnh'];
const GIVEN_F = ['Anh', 'Hà', 'Hạnh', 'Hương', 'Lan', 'Linh', 'Mai', 'Nga', 'Phương', 'Quỳnh', 'Tâm', 'Thảo', 'Trang', 'Vân', 'Yến', 'Huyền', 'Ngọc', 'Nhung', 'Oanh', 'Dung', 'Hằng', 'Loan', 'Thủy', 'Xuân'];
/** Vendor A sends names with its users' spellings; the gateway maps variants to codes. */
const ETHNIC_NAMES = ['Tày', 'Thái', 'Mường', 'Khmer', 'Khơ-me', 'Hoa', 'Nùng', "H'Mông", 'Mông', 'Dao', 'Ê Đê', 'Ê-đê', 'Gia-rai', 'Ba Na', 'Sán Dìu', 'Chăm'];
const ETHNIC_CODES = ['02', '03', '04', '05', '06', '07', '08', '09', '10', '12', '13', '17', '18'];
const POSITIONS = ['Chuyên viên', 'Phó Trưởng phòng', 'Trưởng phòng', 'Phó Chánh Văn phòng', 'Kế toán viên', 'Thanh tra viên'];

export type InvalidKind = 'cmnd9' | 'heso';

export interface GeneratedRecord {
  i: number;
  province: Province;
  /** Unit code as the legacy software sends it. */
  unitCode: string;
  unitName: string;
  hoTen: string;
  male: boolean;
  dob: { y: number; m: number; d: number };
  /** 12-digit CCCD (or 9-digit CMND when invalid on purpose). */
  personalId: string;
  ethnicName: string;
  ethnicCode: string;
  rank: { code: string; ten: string };
  step: number;
  coefficient: number;
  recruited: { y: number; m: number; d: number };
  position: string;
  invalid?: InvalidKind;
}

export function provinceOf(country: Country, rng: () => number): Province {
  const total = country.cumulative[country.cumulative.length - 1];
  const x = rng() * total;
  let lo = 0;
  let hi = country.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (country.cumulative[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return country.provinces[lo];
}

/** The personal id of record i: unique for i < 63 × 10^6 / 3 (the birth-province code encodes i's millions). */
function personalIdFor(i: number, male: boolean, year: number, oldCodes3: string[], rng: () => number): string {
  const million = Math.floor(i / 1_000_000);
  // Provinces of birth are split in groups by i's millions, so ids with the same last six digits differ.
  const groups = 21;
  const group = million % groups;
  const candidates = oldCodes3.filter((_, k) => k % groups === group);
  const prov = candidates.length ? pick(rng, candidates) : oldCodes3[group % oldCodes3.length];
  const century = year >= 2000 ? 2 : 0;
  return `${prov}${century + (male ? 0 : 1)}${String(year % 100).padStart(2, '0')}${String(i % 1_000_000).padStart(6, '0')}`;
}

export function generateRecord(country: Country, seed: number, i: number, invalidRate: number, oldCodes3: string[]): GeneratedRecord {
  const rng = rngFor(seed, i);
  const province = provinceOf(country, rng);
  const old = pick(rng, province.old);
  const d = 1 + Math.floor(rng() * DEPARTMENTS.length);
  const dd = String(d).padStart(2, '0');
  const useOld = rng() < 0.8;
  const unitCode = useOld ? `000.${dd}.31.${old.level1}` : `000.${dd}.31.N${province.code}`;
  const unitName = `${DEPARTMENTS[d - 1]} ${useOld ? old.name : province.name}`;
  const male = rng() < 0.5;
  const hoTen = `${pick(rng, FAMILY)} ${pick(rng, male ? MIDDLE_M : MIDDLE_F)} ${pick(rng, male ? GIVEN_M : GIVEN_F)}`;
  const dob = { y: 1966 + Math.floor(rng() * 26), m: 1 + Math.floor(rng() * 12), d: 1 + Math.floor(rng() * 28) };
  const kinh = rng() < 0.85;
  const ethnicName = kinh ? 'Kinh' : pick(rng, ETHNIC_NAMES);
  const ethnicCode = kinh ? '01' : pick(rng, ETHNIC_CODES);
  const rank = pick(rng, country.ranks);
  const step = 1 + Math.floor(rng() * rank.coefficients.length);
  let coefficient = rank.coefficients[step - 1];
  const recruited = { y: Math.max(dob.y + 22, 1995) + Math.floor(rng() * 5), m: 1 + Math.floor(rng() * 12), d: 1 + Math.floor(rng() * 28) };
  let personalId = personalIdFor(i, male, dob.y, oldCodes3, rng);
  let invalid: InvalidKind | undefined;
  if (rng() < invalidRate) {
    invalid = rng() < 0.5 ? 'cmnd9' : 'heso';
    if (invalid === 'cmnd9') personalId = String(100_000_000 + (i % 900_000_000)).slice(0, 9);
    else coefficient = 9.99;
  }
  return { i, province, unitCode, unitName, hoTen, male, dob, personalId, ethnicName, ethnicCode, rank: { code: rank.code, ten: rank.ten }, step, coefficient, recruited, position: pick(rng, POSITIONS), invalid };
}

// ---- TCVN3 (ABC) as the old .VnTime installations send it: one Latin-1 character per byte ----

const REVERSE = new Map<string, string>();
for (const [byte, ch] of TCVN3_TABLE) if (!REVERSE.has(ch)) REVERSE.set(ch, String.fromCharCode(byte));

/** Unicode → TCVN3 carried as Latin-1 characters; undefined when a character has no TCVN3 form. */
export function toTcvn3(s: string): string | undefined {
  let out = '';
  for (const ch of s.normalize('NFC')) {
    if (ch.charCodeAt(0) < 0x80) out += ch;
    else {
      const b = REVERSE.get(ch);
      if (b === undefined) return undefined;
      out += b;
    }
  }
  return out;
}

const p2 = (n: number) => String(n).padStart(2, '0');
const ddmmyyyy = (x: { y: number; m: number; d: number }) => `${p2(x.d)}/${p2(x.m)}/${x.y}`;
const iso = (x: { y: number; m: number; d: number }) => `${x.y}-${p2(x.m)}-${p2(x.d)}`;

/** One vendor A <HoSo> (inner XML), text in Unicode or TCVN3 as the key's installation sends it. */
export function vendorAHoSo(r: GeneratedRecord, encoding: 'unicode' | 'tcvn3'): string {
  const t = (s: string) => escapeText(encoding === 'tcvn3' ? (toTcvn3(s) ?? s) : s);
  const hs = r.coefficient.toFixed(2).replace('.', ',');
  const workFrom = `${p2(r.recruited.m)}/${r.recruited.y}`;
  return (
    `<SoHieuCanBo>CB-${r.i}</SoHieuCanBo><HoTen>${t(r.hoTen)}</HoTen><NgaySinh>${ddmmyyyy(r.dob)}</NgaySinh><GioiTinh>${t(r.male ? 'Nam' : 'Nữ')}</GioiTinh>` +
    `<SoCMND>${r.personalId}</SoCMND><DanToc>${t(r.ethnicName)}</DanToc><TonGiao>${t('Không')}</TonGiao>` +
    `<NoiSinh>${t(r.province.name)}</NoiSinh><QueQuan>${t(r.province.name)}</QueQuan>` +
    `<MaDonVi>${r.unitCode}</MaDonVi><TenDonVi>${t(r.unitName)}</TenDonVi><ChucVu>${t(r.position)}</ChucVu>` +
    `<MaNgach>${r.rank.code}</MaNgach><BacLuong>${r.step}</BacLuong><HeSoLuong>${hs}</HeSoLuong><NgayHuongLuong>01/01/2024</NgayHuongLuong>` +
    `<NgayTuyenDung>${ddmmyyyy(r.recruited)}</NgayTuyenDung><TrinhDoPhoThong>12/12</TrinhDoPhoThong>` +
    `<TrinhDoChuyenMon>${t('Cử nhân')}</TrinhDoChuyenMon><LyLuanChinhTri>${t('Trung cấp')}</LyLuanChinhTri><QuaTrinhCongTac>` +
    `<CongTac><TuThang>${workFrom}</TuThang><DenThang></DenThang><NoiDung>${t(`${r.position}, ${r.unitName}`)}</NoiDung></CongTac></QuaTrinhCongTac>` +
    `<KhenThuong /><KyLuat /><NgayCapNhat>20/08/2025 10:15:00</NgayCapNhat>`
  );
}

export function vendorAListRequest(key: string, sendingUnit: string, records: GeneratedRecord[], encoding: 'unicode' | 'tcvn3'): string {
  let items = '';
  for (const r of records) items += `<HoSo>${vendorAHoSo(r, encoding)}</HoSo>`;
  return (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
    `<soap:Header><XacThuc xmlns="http://qlcb.vendor-a.vn/"><MaKetNoi>${escapeText(key)}</MaKetNoi><MaDonVi>${sendingUnit}</MaDonVi></XacThuc></soap:Header>` +
    `<soap:Body><DongBoDanhSachHoSo xmlns="http://qlcb.vendor-a.vn/"><danhSach>${items}</danhSach></DongBoDanhSachHoSo></soap:Body></soap:Envelope>`
  );
}

/** One vendor B <employee>. */
export function vendorBEmployee(r: GeneratedRecord): string {
  const since = `${r.recruited.y}-${p2(r.recruited.m)}`;
  return (
    `<employee id="E-${r.i}"><personal><fullName>${escapeText(r.hoTen)}</fullName><dob>${iso(r.dob)}</dob><sex>${r.male ? 'M' : 'F'}</sex>` +
    `<nationalId>${r.personalId}</nationalId><ethnicity code="${r.ethnicCode}"/><religion code="00"/>` +
    `<birthPlace province="${r.province.code}">${escapeText(r.province.name)}</birthPlace></personal>` +
    `<employment><orgUnit>${r.unitCode}</orgUnit><recruitedOn>${iso(r.recruited)}</recruitedOn><rank code="${r.rank.code}" appointedOn="${iso(r.recruited)}"/>` +
    `<salary step="${r.step}" coefficient="${r.coefficient.toFixed(2)}" since="2024-01-01" extraPercent="0"/><positions>` +
    `<position title="${escapeText(r.position)}" concurrent="false" since="${iso(r.recruited)}"/></positions></employment>` +
    `<education generalLevel="12/12" highest="Cử nhân" politicalTheory="TRUNG_CAP"/>` +
    `<history><entry from="${since}">${escapeText(`${r.position}, ${r.unitName}`)}</entry></history>` +
    `<modified>2025-08-21T07:45:12+07:00</modified></employee>`
  );
}

export function vendorBRequest(key: string, softwareId: string, sendingUnit: string, batchId: string, records: GeneratedRecord[], now = new Date()): string {
  let payload = '<?xml version="1.0" encoding="UTF-8"?><records xmlns="http://ws.vendor-b.vn/hrm/records/v2">';
  for (const r of records) payload += vendorBEmployee(r);
  payload += '</records>';
  return (
    '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:v2="http://ws.vendor-b.vn/hrm/sync/v2"><soap:Header>' +
    '<wsse:Security soap:mustUnderstand="true" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">' +
    `<wsu:Timestamp wsu:Id="TS-1"><wsu:Created>${now.toISOString()}</wsu:Created><wsu:Expires>${new Date(now.getTime() + 300_000).toISOString()}</wsu:Expires></wsu:Timestamp>` +
    `<wsse:UsernameToken wsu:Id="UT-1"><wsse:Username>${escapeText(softwareId)}</wsse:Username>` +
    `<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${escapeText(key)}</wsse:Password></wsse:UsernameToken></wsse:Security>` +
    `</soap:Header><soap:Body><v2:submitRecords><batchId>${escapeText(batchId)}</batchId><orgCode>${sendingUnit}</orgCode>` +
    `<payload>${escapeText(payload)}</payload></v2:submitRecords></soap:Body></soap:Envelope>`
  );
}
