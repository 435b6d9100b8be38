/**
 * The blank workbook a unit fills in (`ndxp excel template`), written from layout.ts: an
 * instructions sheet, the records sheet and one sheet per repeating part with Vietnamese
 * headers (each with a hint as its comment), a drop-down for every coded column (code lists from
 * a hidden sheet, short word lists inline), date columns formatted dd/MM/yyyy and text columns
 * formatted as text (so a personal id keeps its leading zero). `examples` fills that many valid
 * rows, for training and tests. Written with exceljs's streaming writer, waiting for the zip
 * every few rows (backpressure.ts): 50,000 example rows cost no more memory than ten.
 */
import ExcelJS from 'exceljs';
import { codeList, rank, salaryCoefficients } from '../national/codelists.js';
import { ROWS_BETWEEN_LOOKS, writerDrained } from './backpressure.js';
import { heapKeeper } from './heap.js';
import { choicesOf, CHOICES, DATA_SHEETS, INSTRUCTIONS_SHEET, LISTS_SHEET, type Column, type SheetLayout } from './layout.js';

export interface TemplateOptions {
  /** Valid example rows to fill in. */
  examples?: number;
  /** The unit the example rows belong to. */
  unit?: string;
  /** Rows that get drop-downs and formats (beyond the examples). */
  blankRows?: number;
}

const NUM_FMT: Partial<Record<Column['kind'], string>> = {
  date: 'dd/mm/yyyy',
  month: 'mm/yyyy',
  dateTime: 'dd/mm/yyyy hh:mm:ss',
  text: '@',
  partialDate: '@',
  choice: '@',
  code: '@',
  textList: '@',
  decimal: '0.00',
};

const HEADER_FILL = { type: 'pattern' as const, pattern: 'solid' as const, fgColor: { argb: 'FFDDEBF7' } };

/** Lists that live on the hidden sheet (longer than an inline list may be), column by column. */
const SHEET_LISTS = ['dan-toc', 'ton-giao', 'tinh-2025', 'ngach', 'khen-thuong', 'ky-luat'] as const;

function listRange(list: string): string | undefined {
  const i = (SHEET_LISTS as readonly string[]).indexOf(list);
  if (i < 0) return undefined;
  const col = String.fromCharCode(65 + i);
  return `'${LISTS_SHEET}'!$${col}$2:$${col}$${choicesOf(list as Column['list']).length + 1}`;
}

/** The drop-down of a coded column (also used by the answer workbook). */
export function validationOf(col: Column): ExcelJS.DataValidation | undefined {
  if (col.kind !== 'code' && col.kind !== 'choice') return undefined;
  const range = listRange(col.list!);
  const formula = range ?? `"${[...CHOICES[col.list as keyof typeof CHOICES]].join(',')}"`;
  return {
    type: 'list',
    allowBlank: !col.required,
    formulae: [formula],
    showErrorMessage: true,
    errorStyle: 'warning',
    errorTitle: col.header,
    error: 'Hãy chọn một giá trị trong danh sách thả xuống',
  };
}

/** Column definitions (headers, widths, formats) of a data sheet for an exceljs worksheet. */
export function sheetColumns(layout: SheetLayout): Partial<ExcelJS.Column>[] {
  return layout.columns.map((c) => ({ header: c.header, key: c.key, width: c.width, style: NUM_FMT[c.kind] ? { numFmt: NUM_FMT[c.kind] } : {} }));
}

function styleHeader(row: ExcelJS.Row, layout: SheetLayout): void {
  row.font = { bold: true };
  layout.columns.forEach((c, i) => {
    const cell = row.getCell(i + 1);
    cell.fill = HEADER_FILL;
    cell.alignment = { wrapText: true, vertical: 'middle' };
    if (c.hint || c.required) cell.note = [c.required ? 'Bắt buộc.' : '', c.hint ?? ''].filter(Boolean).join(' ');
  });
}

const INSTRUCTIONS = [
  'HƯỚNG DẪN NHẬP HỒ SƠ CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC BẰNG SỔ TÍNH',
  '',
  '1. Mỗi người một dòng trên trang «Hồ sơ». Cột «Số định danh cá nhân» (12 chữ số) là khóa của hồ sơ.',
  '2. Quá trình công tác, khen thưởng, kỷ luật và chức vụ nhập trên trang riêng, mỗi dòng một mục, ghi số định danh cá nhân của người đó ở cột đầu.',
  '3. Ngày nhập dạng dd/MM/yyyy (ví dụ 05/09/2019); tháng dạng MM/yyyy; ngày cập nhật dạng dd/MM/yyyy HH:mm:ss.',
  '4. Các cột có danh mục (dân tộc, tôn giáo, tỉnh, ngạch, hình thức khen thưởng, kỷ luật …) chọn từ danh sách thả xuống.',
  '5. Chỉ nhập giá trị: không dùng công thức, macro hay liên kết tới tệp khác (sổ tính như vậy bị từ chối cả tệp).',
  '6. Văn bản gõ bằng phông TCVN3 (.VnTime …) được chuyển sang Unicode tự động; nên dùng phông Unicode (Times New Roman).',
  '7. Cột bắt buộc có ghi chú «Bắt buộc» ở tiêu đề. Ô tiêu đề có ghi chú hướng dẫn: di chuột lên để xem.',
  '8. Sau khi gửi, cổng kết nối trả lại bản sao sổ tính: cột «Kết quả» cho biết từng dòng đã đồng bộ, đang chờ gửi, không hợp lệ hay cũ hơn bản đã lưu; ô sai được tô đỏ kèm ghi chú lỗi.',
  '9. Sửa các ô tô đỏ ngay trên bản trả lại rồi gửi lại: dòng không đổi so với lần gửi trước không bị gửi lại.',
  '10. «ndxp excel status TỆP» cập nhật cột «Kết quả» cho các dòng đang chờ gửi.',
];

// ---------------------------------------------------------------------------------------------
// Example rows: valid records for training and tests

const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Lý'];
const MIDDLE_M = ['Văn', 'Hữu', 'Đức', 'Minh', 'Quang', 'Thành'];
const MIDDLE_F = ['Thị', 'Ngọc', 'Thu', 'Thanh', 'Mai', 'Diệu'];
const GIVEN_M = ['An', 'Bình', 'Cường', 'Dũng', 'Hải', 'Hùng', 'Khánh', 'Long', 'Nam', 'Phúc', 'Quân', 'Sơn', 'Tuấn', 'Việt'];
const GIVEN_F = ['Anh', 'Châu', 'Dung', 'Hà', 'Hạnh', 'Hương', 'Lan', 'Linh', 'Nga', 'Phương', 'Thảo', 'Trang', 'Vân', 'Yến'];

const RANK = '01.003';

/** The i-th example (0-based): row values by column key, and its part rows. */
export function exampleRecord(i: number, unit: string): { record: Record<string, unknown>; parts: Partial<Record<SheetLayout['key'], Record<string, unknown>[]>> } {
  const male = i % 2 === 0;
  const year = 1970 + (i % 30);
  // 12-digit id: province of birth (001 Hà Nội), century+gender, 2-digit year, 6-digit serial.
  const id = `001${male ? '0' : '1'}${String(year % 100).padStart(2, '0')}${String(i % 1_000_000).padStart(6, '0')}`;
  const name = `${FAMILY[i % FAMILY.length]} ${(male ? MIDDLE_M : MIDDLE_F)[i % 6]} ${(male ? GIVEN_M : GIVEN_F)[(i >> 1) % 14]}`;
  const coefficients = salaryCoefficients(rank(RANK)!.bang);
  const bac = 1 + (i % Math.min(coefficients.length, 6));
  const recruited = year + 24;
  const record: Record<string, unknown> = {
    soDinhDanh: id,
    hoVaTen: name,
    ngaySinh: `${String(1 + (i % 28)).padStart(2, '0')}/${String(1 + (i % 12)).padStart(2, '0')}/${year}`,
    gioiTinh: male ? 'Nam' : 'Nữ',
    danToc: '01 - Kinh',
    tonGiao: '00 - Không',
    queQuan: 'Xã Đông Anh, Hà Nội',
    queQuanTinh: `01 - ${codeList('tinh-2025')['01']}`,
    maDonVi: unit,
    ngach: `${RANK} - ${rank(RANK)!.ten}`,
    ngayBoNhiem: new Date(Date.UTC(recruited + 1, 0, 1)),
    bacLuong: bac,
    heSoLuong: coefficients[bac - 1],
    ngayTuyenDung: new Date(Date.UTC(recruited, 8, 1)),
    phoThong: '12/12',
    chuyenMon: 'Cử nhân Luật',
    lyLuan: i % 3 === 0 ? 'Trung cấp' : 'Sơ cấp',
    ngoaiNgu: 'Tiếng Anh B1',
    ngayCapNhat: new Date(Date.UTC(2025, 7, 1, 9, 0, 0) + i * 1000),
  };
  const parts: Partial<Record<SheetLayout['key'], Record<string, unknown>[]>> = {
    quaTrinhCongTac: [{ soDinhDanh: id, tuThang: new Date(Date.UTC(recruited, 8, 1)), noiDung: 'Chuyên viên, Sở Nội vụ', maDonVi: unit }],
  };
  if (i % 5 === 0) parts.khenThuong = [{ soDinhDanh: id, hinhThuc: '05 - Bằng khen', nam: 2020 + (i % 4), soQuyetDinh: `${100 + (i % 900)}/QĐ-UBND`, noiDung: 'Hoàn thành xuất sắc nhiệm vụ' }];
  if (i % 10 === 0) parts.chucVu = [{ soDinhDanh: id, ten: 'Phó Trưởng phòng', kiemNhiem: 'Không', heSoPhuCap: 0.4, tuNgay: new Date(Date.UTC(recruited + 5, 0, 1)) }];
  return { record, parts };
}

/** Writes the template to `file`. */
export async function writeTemplate(file: string, options: TemplateOptions = {}): Promise<{ examples: number }> {
  const examples = Math.max(0, Math.floor(options.examples ?? 0));
  const unit = options.unit ?? '000.00.00.H06';
  const lastRow = examples + 1 + (options.blankRows ?? 2000);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true, useSharedStrings: false });
  wb.creator = 'ndxp-gateway';

  const guide = wb.addWorksheet(INSTRUCTIONS_SHEET);
  guide.columns = [{ width: 120 }];
  INSTRUCTIONS.forEach((line, i) => {
    const row = guide.addRow([line]);
    if (i === 0) row.font = { bold: true, size: 13 };
    row.commit();
  });
  guide.commit();

  // Part rows are generated with their record; each sheet is written whole before the next.
  const keepHeap = heapKeeper();
  for (const layout of DATA_SHEETS) {
    const ws = wb.addWorksheet(layout.name, { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = sheetColumns(layout);
    layout.columns.forEach((c, i) => {
      const v = validationOf(c);
      if (!v) return;
      const letter = ws.getColumn(i + 1).letter;
      (ws as unknown as { dataValidations: { add(address: string, v: ExcelJS.DataValidation): void } }).dataValidations.add(`${letter}2:${letter}${lastRow}`, v);
    });
    styleHeader(ws.getRow(1), layout);
    ws.getRow(1).commit();
    for (let i = 0; i < examples; i++) {
      const ex = exampleRecord(i, unit);
      const rows = layout.key === 'hoSo' ? [ex.record] : (ex.parts[layout.key] ?? []);
      for (const r of rows) ws.addRow(layout.columns.map((c) => r[c.key] ?? null)).commit();
      // The writer has no backpressure of its own: without this a sheet waits in buffers whole.
      if (i % ROWS_BETWEEN_LOOKS === 0) await writerDrained(ws);
      keepHeap();
    }
    ws.commit();
  }

  const lists = wb.addWorksheet(LISTS_SHEET, { state: 'hidden' });
  const columnsOfLists = SHEET_LISTS.map((l) => choicesOf(l));
  lists.addRow([...SHEET_LISTS]).commit();
  const longest = Math.max(...columnsOfLists.map((c) => c.length));
  for (let r = 0; r < longest; r++) lists.addRow(columnsOfLists.map((c) => c[r] ?? null)).commit();
  lists.commit();
  await wb.commit();
  return { examples };
}
