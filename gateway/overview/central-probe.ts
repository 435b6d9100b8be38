/**
 * "Is the central database reachable?" for the Overview: a mutual-TLS handshake with the central
 * endpoint using the gateway's own central-client identity, with a short deadline. A handshake
 * proves the network path, the listener and both certificates without sending any record or
 * spending the central operator's request quota. Answers are kept a few seconds so that many
 * open consoles refreshing themselves cost one probe.
 */
import tls from 'node:tls';
import type { AppContext } from '../../core/context.js';
import { centralClientIdentity } from '../../certs/material.js';
import { ERRORS } from '../../core/errors.js';
import type { CentralProbe } from './types.js';

const TIMEOUT_MS = 2000;
const KEEP_MS = 5000;
const cache = new WeakMap<AppContext, { at: number; answer: Promise<CentralProbe> }>();

function handshake(ctx: AppContext): Promise<CentralProbe> {
  const started = Date.now();
  const down = (detail: string): CentralProbe => ({
    reachable: false,
    checkedAt: new Date().toISOString(),
    code: 'CSDL_TRUNG_UONG_KHONG_SAN_SANG',
    message: ERRORS.CSDL_TRUNG_UONG_KHONG_SAN_SANG.message,
    detail,
  });
  return centralClientIdentity(ctx).then(
    (identity) =>
      new Promise<CentralProbe>((resolve) => {
        const url = new URL(ctx.config.centralUrl);
        const socket = tls.connect({
          host: url.hostname,
          port: Number(url.port || 443),
          servername: /^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname,
          key: identity.key,
          cert: identity.cert,
          ca: identity.ca,
          timeout: TIMEOUT_MS,
        });
        const done = (answer: CentralProbe) => {
          socket.destroy();
          resolve(answer);
        };
        socket.once('secureConnect', () => done({ reachable: true, checkedAt: new Date().toISOString(), latencyMs: Date.now() - started }));
        socket.once('timeout', () => done(down(`không trả lời trong ${TIMEOUT_MS} ms`)));
        socket.once('error', (err: NodeJS.ErrnoException) => done(down(err.code ?? err.message)));
      }),
    (err: Error) => down(err.message),
  );
}

export function probeCentral(ctx: AppContext, now = Date.now()): Promise<CentralProbe> {
  const kept = cache.get(ctx);
  if (kept && now - kept.at < KEEP_MS) return kept.answer;
  const answer = handshake(ctx);
  cache.set(ctx, { at: now, answer });
  return answer;
}
