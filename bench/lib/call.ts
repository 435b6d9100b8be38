/** One request over a fresh mutual-TLS connection, for set-up and checks (never measured). */
import https from 'node:https';
import type { Deployment } from './setup.js';

export function call(url: string, d: Deployment, client: string, o: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  const c = d.clients[client];
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(o.path, url),
      { method: o.method ?? (o.body ? 'POST' : 'GET'), headers: o.headers, agent: false, cert: c.certPem, key: c.keyPem, ca: d.caPem, servername: 'localhost' },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (text += s));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}
