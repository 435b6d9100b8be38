/**
 * exceljs's streaming worksheet reader, fed by us rather than by exceljs's own workbook reader.
 *
 * exceljs 4.4's WorkbookReader pulls parts out of an unzipper stream and hands them on through
 * event-driven adapters: on this machine's load it now and then read a sheet's rows wrongly or
 * not at all (a CI run saw an answer workbook with no «Kết quả» column; exceljs issue #3064 is
 * one of its known races), it parks worksheets in temporary files when the shared strings come
 * later, and it decodes each chunk of text on its own, so a Vietnamese letter cut between two
 * chunks became two replacement characters. Here every part is read straight from the file by
 * its central-directory entry (zip-guard.ts), inflated with zlib, decoded as UTF-8 across chunk
 * boundaries, and the parts are taken in the order that needs nothing parked: relations,
 * workbook, shared strings, styles, then each worksheet in the workbook's order. Only the
 * parsing of the XML itself (shared strings, styles, rows and cells) is exceljs's.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import ExcelJS from 'exceljs';
import { GatewayError } from '../../core/errors.js';
import { listEntries, partDataStart, type ZipEntry } from './zip-guard.js';

const require = createRequire(import.meta.url);
type XformClass = new () => { parseStream(stream: AsyncIterable<string>): Promise<unknown>; map?: Record<string, unknown>; model?: unknown };
const WorkbookXform = require('exceljs/lib/xlsx/xform/book/workbook-xform.js') as XformClass;
const RelationshipsXform = require('exceljs/lib/xlsx/xform/core/relationships-xform.js') as XformClass;
const StyleManager = require('exceljs/lib/xlsx/xform/style/styles-xform.js') as XformClass;
const WorksheetReader = require('exceljs/lib/stream/xlsx/worksheet-reader.js') as new (o: { workbook: unknown; id: number | string; iterator: AsyncIterable<string>; options: object }) => StreamedSheet;

/** One worksheet being read: its rows, as exceljs's streaming reader gives them. */
export interface StreamedSheet extends AsyncIterable<unknown> {
  id: number | string;
  name: string;
  state?: string;
}

interface SheetModel {
  id: number;
  name: string;
  state?: string;
  rId: string;
}

/** A part's text, inflated and decoded across chunk boundaries; read only when iterated. */
function partText(file: string, start: number, e: ZipEntry): Readable {
  const raw = createReadStream(file, { start, end: start + e.compressedSize - 1, highWaterMark: 64 * 1024 });
  let out: Readable = raw;
  if (e.method === 8) {
    const inflate = createInflateRaw();
    raw.on('error', (err) => inflate.destroy(err));
    out = raw.pipe(inflate);
  } else if (e.method !== 0) {
    raw.destroy();
    throw new GatewayError('TEP_KHONG_PHAI_EXCEL', {}, `compression method ${e.method}`);
  }
  out.setEncoding('utf8');
  return out;
}

const ABSOLUTE = /^\//;

/**
 * The worksheets of a checked workbook (checkWorkbook's copy), each yielded before its rows are
 * read; the caller reads (or drains) one before asking for the next.
 */
export async function* workbookSheets(file: string, options: { styles: 'cache' | 'ignore' }): AsyncGenerator<StreamedSheet> {
  const entries = await listEntries(file);
  const fh = await open(file, 'r');
  const starts = new Map<string, number>();
  try {
    for (const e of entries) starts.set(e.name, await partDataStart(fh, e));
  } finally {
    await fh.close();
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  const text = (name: string): Readable | undefined => {
    const e = byName.get(name);
    return e ? partText(file, starts.get(name)!, e) : undefined;
  };

  // The object exceljs's worksheet reader asks for shared strings, styles and date mode.
  const book: { sharedStrings?: unknown[]; styles?: unknown; properties?: unknown; model?: { sheets?: SheetModel[] }; options: object } = {
    options: { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: options.styles, entries: 'ignore' },
  };

  const rels = new RelationshipsXform();
  const relsText = text('xl/_rels/workbook.xml.rels');
  const relations = (relsText ? ((await rels.parseStream(relsText)) as { Id: string; Target: string }[]) : []) ?? [];
  const workbook = new WorkbookXform();
  await workbook.parseStream(text('xl/workbook.xml')!);
  book.properties = workbook.map?.workbookPr; // its .model.date1904 says which day 0 dates count from
  book.model = workbook.model as { sheets?: SheetModel[] };

  const strings = text('xl/sharedStrings.xml');
  if (strings) {
    // exceljs's own shared-strings parser (rich text runs keep their fonts: TCVN3 is told by font).
    const parse = (ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as { _parseSharedStrings(this: object, s: Readable): AsyncGenerator<unknown> })._parseSharedStrings;
    const into: { options: object; sharedStrings?: unknown[]; _emitEntry(): void } = { options: book.options, _emitEntry() {} };
    for await (const _ of parse.call(into, strings)) void _;
    book.sharedStrings = into.sharedStrings;
  }
  // The workbook's styles (number formats tell dates, fonts tell TCVN3), or exceljs's defaults.
  const styles = new StyleManager();
  const stylesText = options.styles === 'cache' ? text('xl/styles.xml') : undefined;
  if (stylesText) await styles.parseStream(stylesText);
  else (styles as unknown as { init(): void }).init();
  book.styles = styles;

  for (const sheet of book.model?.sheets ?? []) {
    const target = relations.find((r) => r.Id === sheet.rId)?.Target;
    if (!target) continue;
    const part = ABSOLUTE.test(target) ? target.slice(1) : `xl/${target}`;
    const rows = text(part.replace(/\/\.\//g, '/'));
    if (!rows) continue;
    const ws = new WorksheetReader({ workbook: book, id: sheet.id, iterator: rows, options: book.options });
    ws.name = sheet.name;
    ws.state = sheet.state;
    try {
      yield ws;
    } finally {
      // A sheet its caller did not read to the end: its file stream is let go.
      rows.destroy();
    }
  }
}
