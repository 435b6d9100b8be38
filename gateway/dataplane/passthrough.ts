/**
 * JSON pass-through for modern software: the central database's read paths
 * (GET /api/v1/profiles/{soDinhDanh}, GET /api/v1/units/{maDinhDanh}/tree) proxied with
 * http-proxy-middleware, after the caller's key was checked. The gateway calls the central
 * database with its own mTLS identity and bearer token; the caller's credentials never leave
 * the gateway.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { GatewayError } from '../../core/errors.js';
import { problemAnswer, writeAnswer } from '../../core/http.js';
import type { PassThrough } from '../pipeline/ports.js';

export interface CentralIdentity {
  key: string | Buffer;
  cert: string | Buffer;
  ca: (string | Buffer)[] | string;
  passphrase?: string;
}

const CALLER_CONNECTION = Symbol('ndxp.callerConnection');
type CallerRequest = IncomingMessage & { [CALLER_CONNECTION]?: string };

/** The hop-by-hop headers of a request: the fixed ones and those its Connection header names. */
function hopByHop(connection: string | undefined): string[] {
  const named = (connection ?? '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  return ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', ...named];
}

export function createPassThrough(centralUrl: string, identity: CentralIdentity, centralToken: string | undefined, timeoutMs: number): PassThrough {
  // Pooled, kept-alive connections to the centre, all on one TLS context (tlsOptions).
  const agent = new https.Agent({ keepAlive: true, maxSockets: 64, ...tlsOptions(identity) });
  const proxy = createProxyMiddleware<IncomingMessage, ServerResponse>({
    target: centralUrl,
    changeOrigin: true,
    agent,
    secure: true,
    proxyTimeout: timeoutMs,
    timeout: timeoutMs,
    xfwd: false,
    on: {
      // The centre's Connection and Keep-Alive headers are about the gateway's connection to it;
      // the caller's answer says what the caller asked for (http-proxy writes it from the request).
      proxyRes(proxyRes, req) {
        delete proxyRes.headers.connection;
        delete proxyRes.headers['keep-alive'];
        const asked = (req as CallerRequest)[CALLER_CONNECTION];
        if (asked !== undefined) req.headers.connection = asked;
      },
      error(_err, _req, res) {
        const target = res as ServerResponse;
        if (typeof target.writeHead !== 'function') return;
        writeAnswer(target, problemAnswer(new GatewayError('CSDL_TRUNG_UONG_KHONG_SAN_SANG', {}, 'proxy error')));
      },
    },
  });
  return (req, res, headers) =>
    new Promise<void>((resolve, reject) => {
      // The outgoing headers are set on the incoming request before the proxy copies them: a
      // 'proxyReq' hook may run after http-proxy already flushed the request and then throw.
      delete req.headers['x-connection-key'];
      delete req.headers.cookie;
      // Hop-by-hop headers are the caller's connection's, not the upstream one's (RFC 9110 §7.6.1):
      // a caller's `Connection: close` (one request per connection) forwarded as is closed the
      // pooled connection to the central database after every answer, a new TLS handshake each.
      // The caller's own Connection header comes back for its answer (see proxyRes).
      (req as CallerRequest)[CALLER_CONNECTION] = req.headers.connection;
      for (const name of hopByHop(req.headers.connection)) delete req.headers[name];
      if (centralToken) req.headers.authorization = `Bearer ${centralToken}`;
      else delete req.headers.authorization;
      req.headers['x-ma-don-vi'] = headers.unitCode;
      req.headers['x-ma-phan-mem'] = headers.softwareId;
      req.headers['x-request-id'] = headers.requestId;
      res.once('finish', () => resolve());
      res.once('close', () => resolve());
      proxy(req, res, (err?: unknown) => (err ? reject(err) : resolve()));
    });
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
