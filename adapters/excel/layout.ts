/**
 * The workbook a unit fills in by hand, derived from the national profile schema and the code
 * lists: which sheets, which columns (Vietnamese headers), what each column holds (a date, a
 * month, a number, a code from a list …) and where it lands in the national record. The template
 * writer, the row reader and the answer writer all read this one description, so a column is
 * added in one place. A column's kind and whether it is required come from the schema itself.
 */
import profileSchema from '../national/contract/profile.schema.json' with { type: 'json' };
import { codeList, type CodeListName } from '../national/codelists.js';

/** How a cell is read (and formatted in the template). */
export type ColumnKind =
  | 'text'
  | 'date' // dd/MM/yyyy (a date cell or text)
  | 'partialDate' // birth dates: dd/MM/yyyy, 00/MM/yyyy, 00/00/yyyy or yyyy
  | 'month' // MM/yyyy
  | 'dateTime' // dd/MM/yyyy HH:mm:ss, Vietnam time
  | 'integer'
  | 'decimal'
  | 'code' // one of a code list (drop-down "code - name"; a name alone is matched too)
  | 'choice' // one of a few words (Nam / Nữ, Có / Không, Sơ cấp …)
  | 'textList'; // several values separated by ";"

/** The fixed word lists of `choice` columns. */
export const CHOICES = {
  'gioi-tinh': ['Nam', 'Nữ', 'Chưa có thông tin'],
  'ly-luan-chinh-tri': ['Sơ cấp', 'Trung cấp', 'Cao cấp', 'Cử nhân'],
  'giao-duc-pho-thong': ['12/12', '10/10', '9/9', '10/12', '9/12'],
  'co-khong': ['Có', 'Không'],
} as const;
export type ChoiceName = keyof typeof CHOICES;

export interface Column {
  /** Stable key (used in batches between the reader and the front). */
  key: string;
  header: string;
  /** JSON Pointer in the national record; inside a repeating part, relative to one item. */
  pointer: string;
  kind: ColumnKind;
  list?: CodeListName | ChoiceName;
  required: boolean;
  width: number;
  /** Shown as the header's comment in the template. */
  hint?: string;
}

export interface SheetLayout {
  /** Stable key: 'hoSo' for the records sheet, else the national array member. */
  key: 'hoSo' | 'quaTrinhCongTac' | 'khenThuong' | 'kyLuat' | 'chucVu';
  name: string;
  columns: Column[];
}

// ---------------------------------------------------------------------------------------------
// Reading the schema

type SchemaNode = { type?: string; $ref?: string; pattern?: string; required?: string[]; properties?: Record<string, SchemaNode>; items?: SchemaNode };
const ROOT = profileSchema as unknown as SchemaNode & { $defs: Record<string, SchemaNode> };

function resolve(node: SchemaNode): SchemaNode {
  return node.$ref ? ROOT.$defs[node.$ref.replace('#/$defs/', '')] : node;
}

/** The schema node at `pointer` (array items by index-less segments) and whether it is required. */
function schemaAt(pointer: string, base: SchemaNode = ROOT): { node: SchemaNode; ref?: string; required: boolean } {
  let node: SchemaNode = base;
  let ref: string | undefined;
  let required = true;
  for (const seg of pointer.split('/').slice(1)) {
    node = resolve(node);
    if (node.type === 'array') node = resolve(node.items!);
    required = required && (node.required ?? []).includes(seg);
    const next = node.properties?.[seg];
    if (!next) throw new Error(`layout names ${pointer}, which the national schema does not have`);
    ref = next.$ref;
    node = next;
  }
  return { node: resolve(node), ref, required };
}

type Spec = [key: string, header: string, pointer: string, width: number, extra?: { kind?: ColumnKind; list?: Column['list']; hint?: string; required?: boolean }];

function columns(specs: Spec[], base?: string): Column[] {
  const item = base ? resolve(resolve(schemaAt(base).node).items!) : ROOT;
  return specs.map(([key, header, pointer, width, extra = {}]) => {
    const { node, ref, required } = schemaAt(pointer, item);
    const kind: ColumnKind =
      extra.kind ??
      (ref === '#/$defs/ngay' ? 'date' : ref === '#/$defs/thang' ? 'month' : node.type === 'integer' ? 'integer' : node.type === 'number' ? 'decimal' : 'text');
    return { key, header, pointer, kind, list: extra.list, required: extra.required ?? required, width, hint: extra.hint };
  });
}

const DATE_HINT = 'Ngày dạng dd/MM/yyyy, ví dụ 05/09/2019';

export const RECORD_SHEET: SheetLayout = {
  key: 'hoSo',
  name: 'Hồ sơ',
  columns: columns([
    ['soDinhDanh', 'Số định danh cá nhân', '/soDinhDanh', 16, { hint: '12 chữ số của căn cước công dân; là khóa của hồ sơ và của các trang Quá trình công tác, Khen thưởng, Kỷ luật, Chức vụ' }],
    ['soHieu', 'Số hiệu cán bộ', '/soHieu', 12],
    ['hoVaTen', 'Họ và tên', '/hoVaTen', 24],
    ['tenGoiKhac', 'Tên gọi khác', '/tenGoiKhac', 14],
    ['ngaySinh', 'Ngày sinh', '/ngaySinh', 12, { kind: 'partialDate', hint: 'dd/MM/yyyy; chỉ biết năm: 00/00/yyyy' }],
    ['gioiTinh', 'Giới tính', '/gioiTinh', 10, { kind: 'choice', list: 'gioi-tinh' }],
    ['danToc', 'Dân tộc', '/danToc', 14, { kind: 'code', list: 'dan-toc' }],
    ['tonGiao', 'Tôn giáo', '/tonGiao', 14, { kind: 'code', list: 'ton-giao' }],
    ['noiSinh', 'Nơi sinh', '/noiSinh/diaChi', 22],
    ['queQuan', 'Quê quán', '/queQuan/diaChi', 22],
    ['queQuanTinh', 'Tỉnh, thành phố (quê quán)', '/queQuan/maTinh', 16, { kind: 'code', list: 'tinh-2025' }],
    ['noiO', 'Nơi ở hiện nay', '/noiOHienNay/diaChi', 22],
    ['soBHXH', 'Số sổ BHXH', '/soBHXH', 12],
    ['ngayTuyenDung', 'Ngày tuyển dụng', '/ngayTuyenDung', 12, { hint: DATE_HINT }],
    ['maDonVi', 'Mã định danh đơn vị', '/donVi/maDinhDanh', 16, { hint: 'Mã định danh điện tử của đơn vị, ví dụ 000.00.00.H06 (mã cũ trước 2025 được chuyển đổi tự động)' }],
    ['tenDonVi', 'Tên đơn vị', '/donVi/ten', 22],
    ['viTriViecLam', 'Vị trí việc làm', '/viTriViecLam', 18],
    ['ngach', 'Ngạch, chức danh nghề nghiệp', '/ngachChucDanh/ma', 24, { kind: 'code', list: 'ngach' }],
    ['ngayBoNhiem', 'Ngày bổ nhiệm ngạch', '/ngachChucDanh/ngayBoNhiem', 12, { hint: DATE_HINT }],
    ['bacLuong', 'Bậc lương', '/luong/bac', 8],
    ['heSoLuong', 'Hệ số lương', '/luong/heSo', 8, { hint: 'Một bậc của bảng lương của ngạch, ví dụ 2,34' }],
    ['ngayHuongLuong', 'Ngày hưởng lương', '/luong/ngayHuong', 12, { hint: DATE_HINT }],
    ['vuotKhung', 'Phụ cấp vượt khung (%)', '/luong/phanTramVuotKhung', 8],
    ['phoThong', 'Giáo dục phổ thông', '/trinhDo/giaoDucPhoThong', 10, { kind: 'choice', list: 'giao-duc-pho-thong' }],
    ['chuyenMon', 'Trình độ chuyên môn cao nhất', '/trinhDo/chuyenMonCaoNhat', 20],
    ['lyLuan', 'Lý luận chính trị', '/trinhDo/lyLuanChinhTri', 12, { kind: 'choice', list: 'ly-luan-chinh-tri' }],
    ['quanLyNhaNuoc', 'Quản lý nhà nước', '/trinhDo/quanLyNhaNuoc', 14],
    ['ngoaiNgu', 'Ngoại ngữ', '/trinhDo/ngoaiNgu', 14, { kind: 'textList', hint: 'Nhiều ngoại ngữ cách nhau bằng dấu ;' }],
    ['tinHoc', 'Tin học', '/trinhDo/tinHoc', 12],
    ['ngayVaoDang', 'Ngày vào Đảng', '/dang/ngayVaoDang', 12, { hint: DATE_HINT }],
    ['ngayChinhThuc', 'Ngày chính thức', '/dang/ngayChinhThuc', 12, { hint: DATE_HINT }],
    ['ngayCapNhat', 'Ngày cập nhật', '/ngayCapNhat', 18, { kind: 'dateTime', hint: 'Lần sửa hồ sơ gần nhất, dd/MM/yyyy HH:mm:ss; CSDL quốc gia giữ phiên bản có ngày cập nhật mới nhất' }],
  ]),
};

const KEY_COLUMN = (): Column => ({ key: 'soDinhDanh', header: 'Số định danh cá nhân', pointer: '', kind: 'text', required: true, width: 16, hint: 'Số định danh cá nhân của hồ sơ trên trang Hồ sơ' });

/** The repeating parts, one sheet each, keyed by personal id in their first column. */
export const PART_SHEETS: SheetLayout[] = [
  {
    key: 'quaTrinhCongTac',
    name: 'Quá trình công tác',
    columns: [
      KEY_COLUMN(),
      ...columns(
        [
          ['tuThang', 'Từ tháng', '/tuThang', 10, { hint: 'MM/yyyy' }],
          ['denThang', 'Đến tháng', '/denThang', 10, { hint: 'MM/yyyy; để trống nếu đến nay' }],
          ['noiDung', 'Chức danh, chức vụ, đơn vị công tác', '/noiDung', 40],
          ['maDonVi', 'Mã định danh đơn vị', '/maDinhDanhDonVi', 16],
        ],
        '/quaTrinhCongTac',
      ),
    ],
  },
  {
    key: 'khenThuong',
    name: 'Khen thưởng',
    columns: [
      KEY_COLUMN(),
      ...columns(
        [
          ['hinhThuc', 'Hình thức khen thưởng', '/hinhThuc', 22, { kind: 'code', list: 'khen-thuong' }],
          ['nam', 'Năm', '/nam', 8],
          ['soQuyetDinh', 'Số quyết định', '/soQuyetDinh', 14],
          ['noiDung', 'Nội dung', '/noiDung', 30],
        ],
        '/khenThuong',
      ),
    ],
  },
  {
    key: 'kyLuat',
    name: 'Kỷ luật',
    columns: [
      KEY_COLUMN(),
      ...columns(
        [
          ['hinhThuc', 'Hình thức kỷ luật', '/hinhThuc', 18, { kind: 'code', list: 'ky-luat' }],
          ['ngayQuyetDinh', 'Ngày quyết định', '/ngayQuyetDinh', 12, { hint: DATE_HINT }],
          ['soQuyetDinh', 'Số quyết định', '/soQuyetDinh', 14],
          ['lyDo', 'Lý do', '/lyDo', 30],
        ],
        '/kyLuat',
      ),
    ],
  },
  {
    key: 'chucVu',
    name: 'Chức vụ',
    columns: [
      KEY_COLUMN(),
      ...columns(
        [
          ['ten', 'Chức vụ, chức danh', '/ten', 26],
          ['kiemNhiem', 'Kiêm nhiệm', '/kiemNhiem', 10, { kind: 'choice', list: 'co-khong' }],
          ['heSoPhuCap', 'Hệ số phụ cấp chức vụ', '/heSoPhuCap', 10],
          ['tuNgay', 'Từ ngày', '/tuNgay', 12, { hint: DATE_HINT }],
        ],
        '/chucVu',
      ),
    ],
  },
];

export const DATA_SHEETS: SheetLayout[] = [RECORD_SHEET, ...PART_SHEETS];
export const INSTRUCTIONS_SHEET = 'Hướng dẫn';
/** Hidden sheet holding the drop-down lists (a list longer than 255 characters must live in cells). */
export const LISTS_SHEET = 'Danh mục';
export const SUMMARY_SHEET = 'Kết quả tổng hợp';

/** The columns the answer adds to the records sheet (and ignores when a corrected answer is sent again). */
export const RESULT_HEADERS = { status: 'Kết quả', trackingId: 'Mã theo dõi', detail: 'Chi tiết' } as const;

/** The choices of a coded column, as the drop-down shows them: "code - name" for code lists. */
export function choicesOf(list: Column['list']): string[] {
  if (!list) return [];
  if (list in CHOICES) return [...CHOICES[list as ChoiceName]];
  return Object.entries(codeList(list as CodeListName))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, name]) => `${code} - ${name}`);
}

/** A header as typed, for matching: case, spaces and diacritics composition do not matter. */
export function headerKey(text: string): string {
  return text.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Sheet by its (Vietnamese) name, in any letter case. */
export function sheetByName(name: string | undefined): SheetLayout | undefined {
  if (!name) return undefined;
  const k = headerKey(name);
  return DATA_SHEETS.find((s) => headerKey(s.name) === k);
}

/** Column letters of a 1-based index: 1 → A, 27 → AA. */
export function columnLetter(n: number): string {
  let s = '';
  for (let x = n; x > 0; x = Math.floor((x - 1) / 26)) s = String.fromCharCode(65 + ((x - 1) % 26)) + s;
  return s;
}

/** How an answer and an error name a cell: `'Hồ sơ'!D5`. */
export function cellRef(sheet: string, col: number, row: number): string {
  return `'${sheet}'!${columnLetter(col)}${row}`;
}

/** The inverse of cellRef (undefined for anything else). */
export function parseCellRef(ref: string): { sheet: string; col: number; row: number } | undefined {
  const m = /^'(.+)'!([A-Z]{1,3})(\d+)$/.exec(ref);
  if (!m) return undefined;
  let col = 0;
  for (const ch of m[2]) col = col * 26 + (ch.charCodeAt(0) - 64);
  return { sheet: m[1], col, row: Number(m[3]) };
}
