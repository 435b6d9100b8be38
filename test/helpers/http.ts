/**
 * mTLS HTTP clients for tests, and polling with a deadline instead of fixed sleeps.
 */
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { IssuedCertificate } from '../../certs/types.js';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json<T = any>(): T;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** New TLS connection for this request (no keep-alive agent). */
  fresh?: boolean;
}

export interface TlsClient {
  cert: IssuedCertificate;
  request(url: string, options?: RequestOptions): Promise<HttpResult>;
  /** Closes pooled keep-alive connections. */
  close(): void;
}


export function tlsClient(cert: IssuedCertificate, ca: string): TlsClient {
  const agent = new https.Agent({ keepAlive: true, cert: cert.certPem, key: cert.keyPem, ca, maxSockets: 8 });
  return {
    cert,
    request(url, options = {}) {
      return new Promise<HttpResult>((resolve, reject) => {
        const req = https.request(
          url,
          {
            method: options.method ?? (options.body ? 'POST' : 'GET'),
            headers: options.headers,
            ...(options.fresh ? { agent: false, cert: cert.certPem, key: cert.keyPem, ca } : { agent }),
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const body = Buffer.concat(chunks);
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8'), json: () => JSON.parse(body.toString('utf8')) });
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(options.body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** Polls until `fn` returns a truthy value or the deadline passes (no fixed sleeps in tests). */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

