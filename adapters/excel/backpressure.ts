/**
 * Backpressure for exceljs's streaming workbook writer, which has none: a worksheet writes each
 * committed row into its own buffer stream (exceljs's StreamBuf, whose write always says "go
 * on"), and that stream passes every full 64 KiB buffer on to the PassThrough archiver wrapped
 * it in, without waiting. The zip reads that PassThrough only when it reaches the sheet's entry
 * and only as fast as it compresses and the file takes it, so a sheet written in one loop waited
 * there whole (about 170 MiB of a 50,000-row template). The PassThrough is an ordinary stream:
 * what waits in it is its writable length, and it says 'drain' once the zip has taken it all.
 */

/** What of archiver's PassThrough (readable-stream 2) is used here. */
interface Piped {
  _writableState?: { length: number; needDrain?: boolean };
  once(event: 'drain' | 'close', listener: () => void): unknown;
  removeListener(event: 'drain' | 'close', listener: () => void): unknown;
}

/** Bytes a sheet may have waiting for the zip before its writer waits. */
const WAITING = 1024 * 1024;

/** Rows between two looks at what waits (a look is cheap; waiting is the point). */
export const ROWS_BETWEEN_LOOKS = 100;

/**
 * Resolves once what `ws` (an exceljs streaming WorksheetWriter) has written so far has mostly
 * been taken by the zip. The zip takes a sheet's entry only after the entries before it have
 * ended, so call it only while every sheet (and comments part) added earlier is committed.
 */
export async function writerDrained(ws: unknown): Promise<void> {
  const pipes = (ws as { stream?: { pipes?: Piped[] } }).stream?.pipes ?? [];
  for (const pipe of pipes) {
    const state = pipe._writableState;
    if (!state || state.length <= WAITING || !state.needDrain) continue;
    await new Promise<void>((resolve) => {
      // A stream destroyed (by an error) closes: that ends the wait too, and the commit reports it.
      const done = () => {
        pipe.removeListener('drain', done);
        pipe.removeListener('close', done);
        resolve();
      };
      pipe.once('drain', done);
      pipe.once('close', done);
    });
  }
}
