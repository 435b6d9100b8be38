/**
 * Connection-level resource limits of an HTTPS server (the data plane's): how long a client may
 * take for the TLS handshake, for its request headers and for its whole request, how large the
 * headers may be, how long an idle keep-alive or silent connection may stay open. Slow-loris
 * clients (trickling headers or body) and oversized headers are cut, with a short answer where
 * the connection still allows one, and every cut is counted through `onCut`.
 *
 * Two halves, because Node takes some of these only when the server is created:
 *   https.createServer({ ...tlsOptions, ...httpServerOptions(config.limits) }, …)
 *   applyHttpLimits(server, config.limits, { onCut: (reason) => connectionsCut.inc({ reason }) })
 * `maxHeaderSize` (total bytes of the request line and headers; Node's default is 16 KiB) and
 * `connectionsCheckingInterval` are creation-time options only. Node enforces headersTimeout and
 * requestTimeout by sweeping connections every connectionsCheckingInterval (30 s by default,
 * which would let a slow-loris client hold a connection for up to timeout + 30 s); we sweep at
 * a quarter of the shortest timeout, at most once a second.
 */
import type { Server as HttpsServer, ServerOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/config.js';
import { ERRORS } from '../../core/errors.js';

export type CutReason = 'handshake_timeout' | 'headers_timeout' | 'request_timeout' | 'header_too_large' | 'bad_request' | 'idle_timeout';

export type ConnectionLimits = Pick<Config['limits'], 'headersTimeoutMs' | 'requestTimeoutMs' | 'maxHeaderBytes' | 'keepAliveTimeoutMs'>;

export interface HttpLimitsOptions {
  /** Called once for every connection the server cuts (the label of ndxp_connections_cut_total). */
  onCut?: (reason: CutReason) => void;
  /**
   * Inactivity after which an established connection is closed (no bytes either way). It also
   * runs while the gateway itself is working on a request, so it must exceed the slowest answer;
   * default: the longest of requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs (0 = off).
   */
  idleTimeoutMs?: number;
}

/** Node rejects headersTimeout > requestTimeout; the request timeout is the outer bound. */
function effectiveHeadersTimeout(limits: ConnectionLimits): number {
  const { headersTimeoutMs, requestTimeoutMs } = limits;
  return requestTimeoutMs > 0 && headersTimeoutMs > requestTimeoutMs ? requestTimeoutMs : headersTimeoutMs;
}

/** Options to spread into https.createServer (creation-time only ones included). */
export function httpServerOptions(limits: ConnectionLimits): Pick<ServerOptions, 'maxHeaderSize' | 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout' | 'connectionsCheckingInterval' | 'handshakeTimeout'> {
  const headersTimeout = effectiveHeadersTimeout(limits);
  const shortest = Math.min(...[headersTimeout, limits.requestTimeoutMs].filter((t) => t > 0), 4000);
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(shortest / 4))),
    // A client that opens TCP and never finishes the handshake is a slow-loris one level down.
    ...(headersTimeout > 0 ? { handshakeTimeout: headersTimeout } : {}),
  };
}

function plainAnswer(status: number, reason: string, code: 'TIEU_DE_QUA_LON' | 'HET_THOI_GIAN' | 'YEU_CAU_HTTP_KHONG_HOP_LE'): string {
  const body = JSON.stringify({ type: `urn:ndxp:loi:${code}`, title: ERRORS[code].message, status, code });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * Sets the limits that can be changed on a running server and installs the handlers that cut
 * and count: 'clientError' (header overflow, header/request timeouts, malformed requests),
 * 'timeout' (idle connections) and 'tlsClientError' (handshake timeouts). Replaces any
 * 'clientError' / 'timeout' handling of its own kind: do not add other handlers for those.
 */
export function applyHttpLimits(server: HttpsServer, limits: ConnectionLimits, options: HttpLimitsOptions = {}): void {
  const onCut = options.onCut ?? (() => undefined);
  server.headersTimeout = effectiveHeadersTimeout(limits);
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  const idle = options.idleTimeoutMs ?? Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs, limits.keepAliveTimeoutMs);
  server.setTimeout(idle);

  // Sockets whose current request has complete headers: a timeout then is the request timeout
  // (slow body), otherwise the headers timeout (slow headers).
  const headersDone = new WeakSet<Socket>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    headersDone.add(socket);
    res.once('close', () => headersDone.delete(socket));
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // https.Server re-emits TLS failures (handshake timeouts included) as 'clientError'; those
    // are counted in 'tlsClientError' below, and a client that went away was not cut.
    const httpLevel = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code?.startsWith('HPE_');
    if (!httpLevel || !socket.writable) {
      socket.destroy();
      return;
    }
    let reason: CutReason;
    let answer: string;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      reason = 'header_too_large';
      answer = plainAnswer(431, 'Request Header Fields Too Large', 'TIEU_DE_QUA_LON');
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      reason = headersDone.has(socket) ? 'request_timeout' : 'headers_timeout';
      answer = plainAnswer(408, 'Request Timeout', 'HET_THOI_GIAN');
    } else {
      reason = 'bad_request';
      answer = plainAnswer(400, 'Bad Request', 'YEU_CAU_HTTP_KHONG_HOP_LE');
    }
    onCut(reason);
    // Answer only if nothing was written on this connection yet (never corrupt a response).
    if (socket.bytesWritten === 0) socket.end(answer);
    else socket.destroy();
    setTimeout(() => socket.destroy(), 1000).unref();
  });

  server.on('timeout', (socket: Socket) => {
    onCut('idle_timeout');
    socket.destroy();
  });

  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') onCut('handshake_timeout');
    socket.destroy();
  });
}
