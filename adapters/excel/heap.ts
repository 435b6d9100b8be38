/**
 * A full garbage collection now and then during a long workbook pass. V8 sizes its heap by the
 * allocation rate, not by what is live: a 50,000-row submission allocates gigabytes of
 * short-lived objects (each record's JSON, XML, signature) and V8 let the heap grow to several
 * hundred MiB while under 100 MiB was live. Collecting every 500 rows (one batch) keeps the
 * process near its live size; each collection of a heap that small costs tens of milliseconds.
 * `gc` is not exposed without a flag: the flag is set once, and `gc` fetched from a new context.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

function collector(): () => void {
  if (gc) return gc;
  const own = (globalThis as { gc?: () => void }).gc;
  if (own) return (gc = own);
  v8.setFlagsFromString('--expose-gc');
  return (gc = vm.runInNewContext('gc') as () => void);
}

/** Rows between two collections. */
const EVERY = 500;

/** Call once per row (or with the rows done); collects every EVERY rows. */
export function heapKeeper(): (rows?: number) => void {
  let since = 0;
  return (rows = 1) => {
    since += rows;
    if (since < EVERY) return;
    since = 0;
    collector()();
  };
}
