/**
 * JSON pass-through for modern software: the central database's read paths
 * (GET /api/v1/profiles/{soDinhDanh}, GET /api/v1/units/{maDinhDanh}/tree) relayed to the
 * centre after the caller's key was checked. The gateway calls the central database with its
 * own mTLS identity and bearer token; the caller's credentials never leave the gateway.
 *
 * The relay is node:https on one pooled agent, doing what http-proxy (through
 * http-proxy-middleware) did for it, step for step, so the centre sees the same request and the
 * caller the same answer: the request's headers copied (credentials and hop-by-hop headers
 * removed, Host the centre's), the answer's status, message and headers copied in order with
 * `connection` last, timeouts on both sides, an abandoned caller aborting its call. What it no
 * longer does per request: http-proxy's url.parse, option copying and listener set-up, and
 * http-proxy-middleware's per-answer log line built for a logger that discards it (a URL object
 * parsed and printed per answer). A small answer is written with its headers in one write (one
 * TLS record) instead of head, body and end as separate writes.
 */
import https from 'node:https';
import tls from 'node:tls';
import { parse as parseUrl } from 'node:url';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import { problemAnswer, writeAnswer } from '../../core/http.js';
import type { PassThrough } from '../pipeline/ports.js';

export interface CentralIdentity {
  key: string | Buffer;
  cert: string | Buffer;
  ca: (string | Buffer)[] | string;
  passphrase?: string;
}

/** Answers up to this size are gathered and written with their headers at once; larger ones stream. */
const GATHER_MAX_BYTES = 256 * 1024;

const FIXED_HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

/** Removes the hop-by-hop headers of a request: the fixed ones and those its Connection header names. */
function dropHopByHop(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  for (const name of FIXED_HOP_BY_HOP) delete headers[name];
  if (!connection) return;
  for (const token of connection.split(',')) {
    const name = token.trim().toLowerCase();
    if (name) delete headers[name];
  }
}

/** The centre's path for a caller's URL: the target's own path joined before it (as http-proxy's urlJoin). */
function pathJoiner(basePath: string): (url: string) => string {
  const base = basePath.replace(/\/+$/, '');
  return (url) => {
    // A URL with a query goes through url.parse as before (it escapes some characters there).
    const path = url.includes('?') ? (parseUrl(url).path ?? '') : url;
    if (!base) return path.replace(/^\/\/+/, '/');
    const q = path.indexOf('?');
    const pathname = q === -1 ? path : path.slice(0, q);
    const joined = [base, pathname].filter(Boolean).join('/').replace(/\/+/g, '/');
    return q === -1 ? joined : joined + path.slice(q);
  };
}

export function createPassThrough(centralUrl: string, identity: CentralIdentity, centralToken: string | undefined, timeoutMs: number): PassThrough {
  const target = new URL(centralUrl);
  const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = target.port ? Number(target.port) : 443;
  // What Host the centre sees (http-proxy's changeOrigin): host[:port], the port left out when it is https's own.
  const host = target.host;
  const pathFor = pathJoiner(target.pathname);
  // Pooled, kept-alive connections to the centre, all on one TLS context (tlsOptions).
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ...tlsOptions(identity) });
  const authorization = centralToken ? `Bearer ${centralToken}` : undefined;

  return (req, res, headers) =>
    new Promise<void>((resolve) => {
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
      // An error on the answer (a write after the caller left) must not take the process down.
      res.on('error', ignore);
      // The outgoing headers are the incoming ones, edited in place as before and then copied in
      // http-proxy's (reverse) order, so the centre sees the very same header block.
      const h = req.headers;
      delete h['x-connection-key'];
      delete h.cookie;
      // Hop-by-hop headers are the caller's connection's, not the upstream one's (RFC 9110 §7.6.1):
      // a caller's `Connection: close` (one request per connection) forwarded as is closed the
      // pooled connection to the central database after every answer, a new TLS handshake each.
      // The caller's own Connection header comes back on its answer (answerHeaders).
      const callerConnection = h.connection;
      dropHopByHop(h);
      if (authorization) h.authorization = authorization;
      else delete h.authorization;
      h['x-ma-don-vi'] = headers.unitCode;
      h['x-ma-phan-mem'] = headers.softwareId;
      h['x-request-id'] = headers.requestId;
      const out: OutgoingHttpHeaders = {};
      const names = Object.keys(h);
      for (let i = names.length - 1; i >= 0; i--) out[names[i]] = h[names[i]];
      out.host = host;

      // The caller's connection may idle at most as long as the call to the centre may take.
      req.socket.setTimeout(timeoutMs);
      const upstream = https.request({ agent, hostname, port, method: req.method, path: pathFor(req.url ?? '/'), headers: out, rejectUnauthorized: true });
      upstream.setTimeout(timeoutMs, () => upstream.destroy(socketHangUp()));
      let answered = false;
      const failed = (err: NodeJS.ErrnoException) => {
        // The caller left: nothing to answer; the call to the centre is dropped with its connection.
        if (req.socket.destroyed && err.code === 'ECONNRESET') {
          upstream.destroy();
          return;
        }
        // Part of the centre's answer is the caller's already: it cannot become a refusal.
        if (answered) res.destroy();
        else writeAnswer(res, problemAnswer(new GatewayError('CSDL_TRUNG_UONG_KHONG_SAN_SANG', {}, 'proxy error')));
      };
      upstream.on('error', failed);
      req.on('error', failed);
      // A caller gone before its request was read to the end aborts the call. Once read (as
      // http-proxy's pipe read it), the call goes on and the centre's late answer is read and
      // dropped (below), so it never sits unread on a pooled connection.
      req.on('aborted', () => upstream.destroy(socketHangUp()));
      if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
        upstream.end();
        req.resume();
      } else {
        req.pipe(upstream);
      }

      upstream.on('response', (answer: IncomingMessage) => {
        answered = true;
        if (res.destroyed) {
          // The caller left: read the answer to its end so the connection goes back to the pool.
          answer.resume();
          return;
        }
        if (!res.headersSent) answerHeaders(req, res, answer, callerConnection);
        if (res.writableEnded) return;
        // The caller left while the answer was arriving: stop reading it (its connection is dropped).
        res.on('close', () => {
          if (!res.writableEnded) answer.destroy();
        });
        answer.on('error', () => res.destroy());
        const length = Number(answer.headers['content-length']);
        if (!(length <= GATHER_MAX_BYTES)) {
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      });
    });
}

function ignore(): void {}

/** As http-proxy's abort of a timed-out or abandoned call: a "socket hang up" ECONNRESET. */
function socketHangUp(): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error('socket hang up');
  err.code = 'ECONNRESET';
  return err;
}

/**
 * The answer's status and headers as http-proxy wrote them: the centre's Connection and
 * Keep-Alive headers are about the gateway's connection to it, so they go, and the caller's own
 * Connection header (or keep-alive, or close for HTTP/1.0) is set last; every other header is
 * copied in the centre's order.
 */
function answerHeaders(req: IncomingMessage, res: ServerResponse, answer: IncomingMessage, callerConnection: string | undefined): void {
  const h = answer.headers;
  delete h.connection;
  delete h['keep-alive'];
  if (req.httpVersion === '1.0') {
    delete h['transfer-encoding'];
    h.connection = callerConnection || 'close';
  } else if (req.httpVersion !== '2.0') {
    h.connection = callerConnection || 'keep-alive';
  }
  for (const key in h) {
    const value = h[key];
    if (value !== undefined) res.setHeader(key.trim(), value);
  }
  res.statusCode = answer.statusCode ?? 502;
  if (answer.statusMessage) res.statusMessage = answer.statusMessage;
}

/**
 * The agent's TLS material as one secure context built once. Given as key/cert/ca, the agent
 * copies the PEM texts into every request's options and https.Agent's pool name (getName) then
 * concatenates them: a multi-kilobyte string built and hashed on every request and again each
 * time a socket is freed (≈ 10 % of a pass-through GET's CPU). The context is not part of the
 * name. Material that does not load falls back to the plain options, so such a fault still
 * surfaces where it did (on the first connection), not at start-up.
 */
function tlsOptions(identity: CentralIdentity): https.AgentOptions {
  try {
    return { secureContext: tls.createSecureContext({ key: identity.key, cert: identity.cert, ca: identity.ca, passphrase: identity.passphrase }) };
  } catch {
    return { key: identity.key, cert: identity.cert, ca: identity.ca, passphrase: identity.passphrase };
  }
}
