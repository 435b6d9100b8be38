/**
 * A full garbage collection now and then during a long workbook pass. V8 sizes its heap by the
 * allocation rate, not by what is live: a 50,000-row submission allocates gigabytes of
 * short-lived objects (each record's JSON, XML, signature) and V8 let the heap grow to several
 * hundred MiB while under 100 MiB was live. Collecting whenever the heap has grown 24 MiB past
 * what was live keeps the process near its live size, at a collection every few thousand rows.
 * Buffers count too (V8's external memory): the zip writer's buffers, passed on and let go,
 * waited for a collection until some 64 MiB of them had piled up (a 50,000-row template).
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

/** Rows between two looks at the heap. */
const EVERY = 500;
/** Heap (and buffers) allowed above what was live after the last collection before collecting again. */
const HEADROOM = 24 * 1024 * 1024;

/**
 * Call once per row (or with the rows done): every EVERY rows it looks at the heap, and collects
 * when it has grown HEADROOM past what was live after the last collection (collecting every 500
 * rows whatever the heap held made a fast pass, such as `excel status`, several times slower).
 */
export function heapKeeper(): (rows?: number) => void {
  let since = 0;
  let live = inUse();
  return (rows = 1) => {
    since += rows;
    if (since < EVERY) return;
    since = 0;
    if (inUse() < live + HEADROOM) return;
    collector()();
    live = inUse();
  };
}

/** The heap in use and the buffers held outside it. */
function inUse(): number {
  const h = v8.getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}
