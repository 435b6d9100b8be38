/**
 * The comments of a streamed answer sheet's red cells wait in a temporary file, not in memory.
 * exceljs's streaming writer writes a sheet's comments (and their VML drawing) as two zip entries
 * of their own, queued behind the sheet's: the zip cannot take them until the sheet is done, so
 * every comment of a sheet waited in buffers (about 1 KiB a red cell: some 50 MiB for a
 * 50,000-row workbook whose every row is invalid). Here the comments writer is handed two spools
 * in place of its streams: each writes to a file, and when the comments writer ends it (as the
 * sheet is committed) feeds its zip entry, queued at its first write as exceljs queues its own,
 * from the file. The workbook is byte for byte the same.
 */
import { createReadStream, createWriteStream, rmSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';

/** What of exceljs's streaming workbook writer is used: its archiver. */
interface ZipOwner {
  zip: { append(source: NodeJS.ReadableStream, data: { name: string }): unknown };
}

/** Text gathered before a write to the file (a comment is a few hundred bytes). */
const CHUNK = 64 * 1024;

class Spool {
  private source?: PassThrough;
  private file?: WriteStream;
  private pending: string[] = [];
  private size = 0;

  constructor(
    private readonly wb: ZipOwner,
    private readonly at: string,
    private readonly entry: string,
  ) {}

  write(text: string): boolean {
    if (!this.source) {
      // Queued at the first write, as exceljs queues its own stream: the zip's entries keep their order.
      this.source = new PassThrough();
      this.wb.zip.append(this.source, { name: this.entry });
    }
    this.pending.push(text);
    this.size += text.length;
    if (this.size >= CHUNK) this.flush();
    return true;
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.file ??= createWriteStream(this.at, { mode: 0o600 });
    this.file.write(this.pending.join(''));
    this.pending = [];
    this.size = 0;
  }

  /** The comments writer is done (its sheet is committed): the entry is fed from the file once that is written. */
  end(): void {
    this.flush();
    const { source, file } = this;
    if (!source || !file) {
      source?.end();
      return;
    }
    file.on('error', (err) => source.destroy(err));
    file.end(() => {
      const read = createReadStream(this.at);
      read.on('error', (err) => source.destroy(err));
      read.on('close', () => rmSync(this.at, { force: true }));
      read.pipe(source);
    });
  }
}

/**
 * Hands `ws`'s comments writer (an exceljs streaming WorksheetWriter's) two spools in `dir`.
 * Call right after addWorksheet, before any row; the caller removes `dir` after the workbook's commit.
 */
export function spoolComments(wb: unknown, ws: unknown, dir: string): void {
  const writer = (ws as { _sheetCommentsWriter: { id: number | string; _commentsStream?: unknown; _vmlStream?: unknown } })._sheetCommentsWriter;
  const owner = wb as ZipOwner;
  // The entry names exceljs's own streams use (sheet-comments-writer.js).
  writer._commentsStream = new Spool(owner, path.join(dir, `comments${writer.id}.xml`), `/xl/comments${writer.id}.xml`);
  writer._vmlStream = new Spool(owner, path.join(dir, `vmlDrawing${writer.id}.vml`), `xl/drawings/vmlDrawing${writer.id}.vml`);
}
