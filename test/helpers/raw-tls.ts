/**
 * A raw (mutual) TLS connection for tests that must control the bytes on the wire: pipelined
 * requests, a client that reads slowly, headers trickled one line at a time. Everything the
 * server sends is kept, and `answers()` splits it into the HTTP answers it holds.
 */
import tls from 'node:tls';
import type { IssuedCertificate } from '../../certs/types.js';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface RawTls {
  socket: tls.TLSSocket;
  /** Resolves when the connection is closed (by either side). */
  closed: Promise<void>;
  isClosed(): boolean;
  /** Socket errors seen (e.g. ECONNRESET): a cut connection. */
  errors: Error[];
  received(): Buffer;
  /** The complete answers received so far, in order (Content-Length framing). */
  answers(): RawAnswer[];
}

export interface RawTlsOptions {
  cert?: IssuedCertificate;
  ca: string;
  /** Read slowly: after each chunk, stop reading for this many milliseconds. */
  slowReadMs?: number;
}

export async function rawTls(port: number, options: RawTlsOptions): Promise<RawTls> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: options.ca, servername: 'localhost', ...(options.cert ? { cert: options.cert.certPem, key: options.cert.keyPem } : {}) });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', () => resolve()).once('error', reject));
  const chunks: Buffer[] = [];
  const errors: Error[] = [];
  let closed = false;
  socket.on('error', (err) => errors.push(err));
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    if (options.slowReadMs) {
      socket.pause();
      setTimeout(() => socket.resume(), options.slowReadMs);
    }
  });
  const closedPromise = new Promise<void>((resolve) => socket.once('close', () => ((closed = true), resolve())));
  const received = () => Buffer.concat(chunks);
  return { socket, closed: closedPromise, isClosed: () => closed, errors, received, answers: () => parseAnswers(received()) };
}

/** Splits a byte stream into HTTP/1.1 answers framed by Content-Length; an incomplete tail is left out. */
export function parseAnswers(data: Buffer): RawAnswer[] {
  const out: RawAnswer[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at, 'latin1');
    if (end === -1) return out;
    const [statusLine, ...lines] = data.toString('latin1', at, end).split('\r\n');
    const match = /^HTTP\/1\.1 (\d{3})/.exec(statusLine);
    if (!match) throw new Error(`not an HTTP answer at byte ${at}: ${JSON.stringify(statusLine.slice(0, 80))}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length']);
    if (!Number.isInteger(length)) throw new Error(`answer without Content-Length: ${statusLine}`);
    if (data.length < end + 4 + length) return out;
    out.push({ status: Number(match[1]), headers, body: data.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
}
