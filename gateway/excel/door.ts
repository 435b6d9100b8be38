/**
 * The operator's door into the request pipeline: `ndxp excel submit` and the admin API run in
 * processes without the data plane, yet their rows must go through exactly the route every
 * front's request takes (pipeline/routes.ts: certificate → lockout → read-body → read-request →
 * authenticate → concurrency → execute, then the one epilogue that audits and answers). The
 * pipeline takes an HTTP request and response; this door gives it real ones, from a private
 * HTTP listener on a Unix socket in a fresh 0700 directory that only this process knows and that
 * lives as long as one submission.
 *
 * Who acts: the operator (the admin's client certificate, or the CLI user) stands where a
 * legacy client's TLS certificate would; the connection key is the unit's key of vendor `excel`
 * for the named software, presented as a short-lived bearer token the gateway issues for it —
 * the key check then applies every rule but the secret (status, expiry, certificate binding,
 * front, operation), as it does for any token.
 */
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { VendorFront } from '../../adapters/types.js';
import type { AppContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { deriveSecret } from '../../core/secrets.js';
import { createCertWatcher } from '../../certs/watch.js';
import { createDelivery, type DeliveryService } from '../delivery/delivery.js';
import { composePipeline } from '../compose-pipeline.js';
import type { Peer } from '../pipeline/peer.js';

export interface DoorAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Door {
  /** Posts one batch through the pipeline as `keyId`. */
  post(body: Buffer, keyId: string): Promise<DoorAnswer>;
  delivery: DeliveryService;
  /** The unit code as the current unit tree knows it (re-mapped). */
  currentUnitCode(code: string): string;
  close(): Promise<void>;
}

/** Who stands where a client certificate would: an admin's certificate, or the CLI user. */
export interface Operator {
  subject: string;
  serial?: string;
}

export function operatorPeer(op: Operator): Peer {
  return {
    serial: op.serial ?? 'OPERATOR',
    subject: op.subject,
    cn: op.subject,
    issuer: 'ndxp-gateway',
    notAfter: '9999-12-31T23:59:59.000Z',
    notAfterMs: Number.MAX_SAFE_INTEGER,
    fingerprint256: '',
    remoteAddress: 'local',
  };
}

export async function openDoor(ctx: AppContext, front: VendorFront, operator: Operator): Promise<Door> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await Promise.resolve(fn()).catch((err) => ctx.log.warn('excel door: error while closing', { err: err as Error }));
  };
  try {
    // As startGatewayNode does: without a configured token, every node derives the same stand-in.
    ctx.config.centralToken ||= deriveSecret(ctx.config, 'central-token').toString('base64url');
    const certs = await createCertWatcher(ctx);
    closers.push(() => certs.stop());
    const delivery = await createDelivery(ctx, { worker: false, relay: false });
    closers.push(() => delivery.close());
    const { pipeline, preparer, tokens, close: closePipeline } = await composePipeline(ctx, {
      certs,
      delivery,
      // The front route never passes through; the JSON routes are not reachable through this door.
      passThrough: async () => {
        throw new GatewayError('KHONG_TIM_THAY', { path: '' });
      },
      publicUrl: () => '',
    });
    closers.push(closePipeline);
    const peer = operatorPeer(operator);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ndxp-excel-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const socketPath = path.join(dir, 'door.sock');
    const server = http.createServer((req, res) => {
      const meta = { method: req.method ?? 'POST', path: '/excel', query: new URLSearchParams(), headers: req.headers };
      void pipeline.handle(req, res, meta, peer, front);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(socketPath, resolve));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    closers.push(() => agent.destroy());

    return {
      delivery,
      currentUnitCode: (code) => preparer.currentUnitCode(code),
      close,
      post(body, keyId) {
        const token = tokens.issue(keyId).accessToken;
        return new Promise<DoorAnswer>((resolve, reject) => {
          const req = http.request(
            { socketPath, agent, method: 'POST', path: '/excel', headers: { 'content-type': 'application/json', 'content-length': String(body.length), authorization: `Bearer ${token}` } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
