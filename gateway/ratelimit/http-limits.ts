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
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Config } from '../../config/config.js';
import { ERRORS, GatewayError } from '../../core/errors.js';
import { problemAnswer, type HttpAnswer } from '../../core/http.js';

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
  /**
   * The answer to a cut request in its caller's protocol, chosen by the request's path (e.g. a
   * vendor's SOAP fault on its front's path); undefined means the JSON problem. When given, the
   * first bytes of each request are kept until its headers are complete, because Node does not
   * tell a 'clientError' handler which path a half-received request was for.
   */
  answerFor?: (err: GatewayError, path: string) => HttpAnswer | undefined;
}

/** Per connection: the requests in progress and the head of the one not yet complete. */
interface ConnectionState {
  /** Requests whose headers are complete, by their answer, until the answer is closed. */
  open: Map<ServerResponse, IncomingMessage>;
  /** First bytes (latin1) of a request whose headers are not complete yet. */
  head: string;
}

/** Enough for a request line with any path a front serves. */
const HEAD_BYTES = 2048;

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/** The path of the request line in `head`, if it got that far. */
function pathInHead(head: string): string | undefined {
  const m = /^(?:\r\n)*[A-Z]+ (\/[^ \r\n]*) HTTP\/1\.[01]\r\n/.exec(head);
  return m ? pathOf(m[1]) : undefined;
}

/** A complete HTTP/1.1 answer that closes the connection, written straight to the socket. */
function rawAnswer(answer: HttpAnswer): Buffer {
  const body = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  let head = `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}\r\n`;
  for (const [name, value] of Object.entries(answer.headers)) {
    if (!/^(content-length|connection)$/i.test(name)) head += `${name}: ${value}\r\n`;
  }
  head += `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** The idle cut when none is given: the longest of the request, headers and keep-alive timeouts. */
export function defaultIdleTimeout(limits: ConnectionLimits): number {
  return Math.max(limits.requestTimeoutMs, limits.headersTimeoutMs, limits.keepAliveTimeoutMs);
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
  const idle = options.idleTimeoutMs ?? defaultIdleTimeout(limits);
  server.setTimeout(idle);

  const connections = new WeakMap<Socket, ConnectionState>();
  const stateOf = (socket: Socket): ConnectionState => {
    let state = connections.get(socket);
    if (!state) connections.set(socket, (state = { open: new Map(), head: '' }));
    return state;
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const state = stateOf(req.socket);
    state.open.set(res, req);
    state.head = '';
    res.once('close', () => state.open.delete(res));
  });

  if (options.answerFor) {
    // Node's parser sees each chunk before this listener does: a chunk that completed a
    // request's headers has already opened it. Bytes after a request in progress (its body, or
    // a pipelined next request) are not kept; a cut then answers in JSON.
    server.on('secureConnection', (socket: TLSSocket) => {
      const state = stateOf(socket);
      socket.on('data', (chunk: Buffer) => {
        if (state.open.size > 0 || state.head.length >= HEAD_BYTES) return;
        state.head += chunk.toString('latin1', 0, Math.min(chunk.length, HEAD_BYTES - state.head.length));
      });
    });
  }

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // https.Server re-emits TLS failures (handshake timeouts included) as 'clientError'; those
    // are counted in 'tlsClientError' below, and a client that went away was not cut.
    const httpLevel = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code?.startsWith('HPE_');
    if (!httpLevel || !socket.writable) {
      socket.destroy();
      return;
    }
    const state = connections.get(socket);
    const open = state ? [...state.open] : [];
    // A request whose headers are complete but not its body: a timeout is then about its body.
    const slowBody = open.find(([, req]) => !req.complete);
    let reason: CutReason;
    let refusal: GatewayError;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      reason = 'header_too_large';
      refusal = new GatewayError('TIEU_DE_QUA_LON');
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      reason = slowBody ? 'request_timeout' : 'headers_timeout';
      refusal = new GatewayError('HET_THOI_GIAN');
    } else {
      reason = 'bad_request';
      refusal = new GatewayError('YEU_CAU_HTTP_KHONG_HOP_LE');
    }
    onCut(reason);
    // Answer only when ours is the next answer on the connection: nothing else in flight, or
    // just the cut request's own answer, not begun. Otherwise an answer on its way would be
    // corrupted, or ours taken for an earlier request's (pipelining): then just cut.
    const ours = open.length === 0 || (open.length === 1 && slowBody !== undefined && !slowBody[0].headersSent);
    if (!ours) {
      socket.destroy();
      return;
    }
    const path = slowBody ? pathOf(slowBody[1].url ?? '/') : pathInHead(state?.head ?? '');
    const answer = (path !== undefined ? options.answerFor?.(refusal, path) : undefined) ?? problemAnswer(refusal);
    socket.end(rawAnswer(answer));
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
