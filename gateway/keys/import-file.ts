/**
 * Reads the Ministry's list of activated and cancelled connection keys (CSV or JSON) into rows.
 *
 * CSV: UTF-8 (a BOM is fine), first line = header, separator "," or ";" (Excel in Vietnamese
 * locale writes ";"), RFC 4180 quoting. JSON: an array of objects, or {"keys": [...]}. Same field
 * names in both, case-insensitive, "_"/"-"/spaces ignored (key_id = keyId = KeyID):
 *
 * | field | required | meaning |
 * | keyId | yes | the key's public id |
 * | status | no | activated (active) · suspended · cancelled (canceled, revoked); empty: a new key is activated, an existing one keeps its status |
 * | softwareId, unitCode, vendor | to create a key | software id, unit code, vendor-a-asmx · vendor-b-jaxws · vendor-c-xmlpost · json |
 * | secret or secretSha256 | to create an active key | the secret in clear (hashed at once, never stored) or the hex SHA-256 of it |
 * | encoding | no (unicode) | unicode · tcvn3 |
 * | operations | no (all of the vendor) | submitProfiles, upsertUnit, status; separated by "," "|" ";" or spaces (JSON: an array) |
 * | certSerial, certSubject | no | certificate binding |
 * | expires | no | 2026-12-31, 31/12/2026 or an ISO instant |
 * | contactName, contactAgency, contactPhone, contactEmail | no | the unit's key administrator |
 * | bodyRetention | no | off · metadata · full |
 *
 * An empty cell means "not stated": the key keeps what it has. Unknown columns reject the whole
 * file, so a misspelt "status" column cannot silently activate keys.
 */
import { OperatorError } from '../../core/errors.js';

export const IMPORT_FIELDS = [
  'keyId',
  'status',
  'softwareId',
  'unitCode',
  'vendor',
  'secret',
  'secretSha256',
  'encoding',
  'operations',
  'certSerial',
  'certSubject',
  'expires',
  'contactName',
  'contactAgency',
  'contactPhone',
  'contactEmail',
  'bodyRetention',
] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];

const ALIASES: Record<string, ImportField> = {
  expiresat: 'expires',
  expiry: 'expires',
  secrethash: 'secretSha256',
  sha256: 'secretSha256',
  software: 'softwareId',
  unit: 'unitCode',
  adapter: 'vendor',
};

export interface ImportRow {
  /** 1-based position among the data rows. */
  row: number;
  /** CSV line number (header = line 1). */
  line?: number;
  values: Partial<Record<ImportField, unknown>>;
  /** CSV: the row has more cells than the header (usually an unquoted separator inside a value). */
  extraCells?: boolean;
}

export class ImportFileError extends OperatorError {
  constructor(message: string) {
    super('TEP_NHAP_KHONG_HOP_LE', message);
    this.name = 'ImportFileError';
  }
}

function fieldFor(name: string): ImportField | undefined {
  const k = name.trim().toLowerCase().replace(/[\s_-]/g, '');
  return IMPORT_FIELDS.find((f) => f.toLowerCase() === k) ?? ALIASES[k];
}

export function detectFormat(content: string, fileName?: string): 'csv' | 'json' {
  if (fileName && /\.json$/i.test(fileName)) return 'json';
  if (fileName && /\.csv$/i.test(fileName)) return 'csv';
  const first = content.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '[' || first === '{' ? 'json' : 'csv';
}

export function parseImportContent(content: string, format: 'csv' | 'json'): ImportRow[] {
  const text = content.replace(/^\uFEFF/, '');
  return format === 'json' ? parseJson(text) : parseCsv(text);
}

function parseJson(text: string): ImportRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportFileError(`Tệp JSON không đọc được: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : doc && typeof doc === 'object' && Array.isArray((doc as { keys?: unknown }).keys) ? (doc as { keys: unknown[] }).keys : undefined;
  if (!list) throw new ImportFileError('Tệp JSON phải là một mảng mã kết nối, hoặc một đối tượng có trường "keys" là mảng');
  return list.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) throw new ImportFileError(`Phần tử thứ ${i + 1} không phải là một đối tượng`);
    const values: ImportRow['values'] = {};
    for (const [name, value] of Object.entries(item as Record<string, unknown>)) {
      const field = fieldFor(name);
      if (!field) throw new ImportFileError(`Trường không được hỗ trợ: "${name}" (phần tử thứ ${i + 1}); các trường hợp lệ: ${IMPORT_FIELDS.join(', ')}`);
      values[field] = value;
    }
    return { row: i + 1, values };
  });
}

/** RFC 4180 records with their starting line numbers. */
function csvRecords(text: string, sep: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let cellStarted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && !cellStarted) {
      quoted = true;
      cellStarted = true;
    } else if (ch === sep) {
      cells.push(cell);
      cell = '';
      cellStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((c) => c.trim() !== '')) out.push({ line: recordLine, cells });
      cells = [];
      cell = '';
      cellStarted = false;
      line++;
      recordLine = line;
    } else {
      cell += ch;
      if (ch !== ' ' && ch !== '\t') cellStarted = true;
    }
  }
  if (quoted) throw new ImportFileError(`Tệp CSV có dấu ngoặc kép không đóng (từ dòng ${recordLine})`);
  cells.push(cell);
  if (cells.some((c) => c.trim() !== '')) out.push({ line: recordLine, cells });
  return out;
}

function parseCsv(text: string): ImportRow[] {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const sep = !firstLine.includes(',') && firstLine.includes(';') ? ';' : ',';
  const records = csvRecords(text, sep);
  if (records.length === 0) throw new ImportFileError('Tệp CSV trống');
  const header = records[0].cells.map((name) => {
    const field = fieldFor(name);
    if (!field) throw new ImportFileError(`Cột không được hỗ trợ: "${name.trim()}"; các cột hợp lệ: ${IMPORT_FIELDS.join(', ')}`);
    return field;
  });
  if (!header.includes('keyId')) throw new ImportFileError('Tệp CSV thiếu cột keyId');
  const dup = header.find((f, i) => header.indexOf(f) !== i);
  if (dup) throw new ImportFileError(`Cột ${dup} xuất hiện hai lần`);
  return records.slice(1).map((rec, i) => {
    const values: ImportRow['values'] = {};
    header.forEach((field, col) => {
      const v = rec.cells[col];
      if (v !== undefined && v.trim() !== '') values[field] = v.trim();
    });
    const extraCells = rec.cells.slice(header.length).some((c) => c.trim() !== '');
    return { row: i + 1, line: rec.line, values, ...(extraCells ? { extraCells } : {}) };
  });
}

/** Ministry wording → our status; undefined for a word we do not know. (An absent status is the caller's business.) */
export function importStatus(value: unknown): 'active' | 'suspended' | 'cancelled' | undefined {
  const v = String(value).trim().toLowerCase();
  if (['activated', 'active', 'kich-hoat', 'kích hoạt'].includes(v)) return 'active';
  if (['suspended', 'tam-khoa', 'tạm khóa'].includes(v)) return 'suspended';
  if (['cancelled', 'canceled', 'revoked', 'huy', 'hủy'].includes(v)) return 'cancelled';
  return undefined;
}
