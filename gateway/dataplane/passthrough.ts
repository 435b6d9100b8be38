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

export function createPassThrough(centralUrl: string, identity: CentralIdentity, centralToken: string | undefined, timeoutMs: number): PassThrough {
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
