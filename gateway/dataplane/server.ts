/**
 * The data plane: an HTTPS listener that requires a client certificate chaining to a trusted
 * anchor (TLS 1.2/1.3 only, AEAD cipher suites), and hands each request to the pipeline
 * (gateway/pipeline/routes.ts) with its protocol front (vendor A/B/C, JSON), if any. Plain node:https, no framework: this is the hot path
 * (Express + http-proxy-middleware measured at less than half of a bare Node mTLS proxy here).
 *
 * Certificate checks: OpenSSL verifies the chain (and our CRLs) during the handshake; the server
 * is created with rejectUnauthorized: false only so that it learns WHY a certificate failed
 * (Node drops the socket without a reason otherwise) — an unauthorized connection is counted
 * by reason and destroyed before any request is read.
 *
 * Revocation without restart: the certificate watcher reloads revocations from the store every
 * second. A revoked certificate is refused (a) by the CRL in a fresh secure context for new
 * handshakes, (b) right after its handshake by serial, (c) on every request (the pipeline's
 * certificate stage) — which covers
 * keep-alive connections and TLS session resumption, where no certificate verification happens
 * again — and (d) by closing open connections that carry it as soon as the revocation is seen.
 * Session ticket keys are rotated on every change so old tickets force a full handshake.
 */
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket, SecureContextOptions } from 'node:tls';
import type { VendorFront } from '../../adapters/types.js';
import type { RequestMeta } from '../../core/http.js';
import { listenOn } from '../../core/listen.js';
import type { AppContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { connectionsCut, tlsFailureReason, tlsHandshakeFailures } from '../../core/metrics.js';
import { peerOf } from '../pipeline/peer.js';
import type { CertStatus } from '../pipeline/ports.js';
import type { Pipeline } from '../pipeline/routes.js';
import { applyHttpLimits, httpServerOptions } from '../ratelimit/http-limits.js';
import { problemAnswer, writeAnswer } from '../../core/http.js';
import { normalizeSerial } from '../../core/serial.js';
import { keepPipelinedRequests } from '../../core/pipelining.js';

/** AEAD suites only for TLS 1.2 (TLS 1.3 suites are all AEAD and configured separately by OpenSSL). */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
].join(':');

export interface DataPlaneDeps {
  certs: CertStatus;
  /** Current TLS material (key, cert, CA bundle incl. trust anchors); called again after changes. */
  tlsMaterial(): Promise<SecureContextOptions>;
  frontForPath(path: string): VendorFront | undefined;
  pipeline: Pipeline;
}

export interface DataPlane {
  server: https.Server;
  port: number;
  /** The routes requests take (gateway/pipeline/routes.ts). */
  pipeline: Pipeline;
  /** Stops accepting connections; in-flight requests finish, idle keep-alive connections close. */
  close(): Promise<void>;
}

function tlsOptions(material: SecureContextOptions): https.ServerOptions {
  return {
    ...material,
    requestCert: true,
    rejectUnauthorized: false, // see above: refused in 'secureConnection' with the reason counted
    minVersion: 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
  };
}

/** Why OpenSSL refused a client certificate, as a bounded metric label. */
export function authorizationReason(socket: TLSSocket): string {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return 'no_certificate';
  switch (String(socket.authorizationError ?? '')) {
    case 'CERT_HAS_EXPIRED':
      return 'expired';
    case 'CERT_NOT_YET_VALID':
      return 'not_yet_valid';
    case 'CERT_REVOKED':
      return 'revoked';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    // We hold CRLs for our own CAs only: OpenSSL's CRL check reports a certificate from any
    // other issuer as "no CRL" before it gets to "unknown issuer".
    case 'UNABLE_TO_GET_CRL':
      return 'unknown_ca';
    case 'CERT_SIGNATURE_FAILURE':
      return 'bad_signature';
    default:
      return 'other';
  }
}

export async function startDataPlane(ctx: AppContext, deps: DataPlaneDeps, listen = ctx.config.listen): Promise<DataPlane> {
  const limits = ctx.config.limits;
  const server = https.createServer({ ...tlsOptions(await deps.tlsMaterial()), ...httpServerOptions(limits) });
  // Slow-loris, oversized headers, slow handshakes and silent connections are cut and counted.
  // A cut request on a front's path hears so in that front's protocol (SOAP fault, vendor C XML).
  applyHttpLimits(server, limits, { onCut: (reason) => connectionsCut.inc({ reason }), answerFor: (err, path) => deps.frontForPath(path)?.renderError(err) });
  // A request arriving while an earlier answer drains must not be cut as a parse error.
  keepPipelinedRequests(server);

  // Open connections by certificate serial, so a revocation can close them at once.
  const bySerial = new Map<string, Set<TLSSocket>>();

  server.on('tlsClientError', (err: NodeJS.ErrnoException) => {
    tlsHandshakeFailures.inc({ reason: tlsFailureReason(err) });
  });

  server.on('secureConnection', (socket: TLSSocket) => {
    if (!socket.authorized) {
      const reason = authorizationReason(socket);
      tlsHandshakeFailures.inc({ reason });
      const cert = socket.getPeerCertificate();
      ctx.audit.record({ kind: 'refusal', front: 'tls', outcome: 'refused', code: 'CHUNG_THU_KHONG_HOP_LE', certSerial: cert?.serialNumber ? normalizeSerial(cert.serialNumber) : undefined, certSubject: cert?.subject ? Object.entries(cert.subject).map(([k, v]) => `${k}=${v}`).join(',') : undefined, remoteAddress: socket.remoteAddress, details: { reason } });
      socket.destroy();
      return;
    }
    const peer = peerOf(socket);
    if (!peer) {
      socket.destroy();
      return;
    }
    if (deps.certs.isRevoked(peer.serial)) {
      tlsHandshakeFailures.inc({ reason: 'revoked' });
      ctx.audit.record({ kind: 'refusal', front: 'tls', outcome: 'refused', code: 'CHUNG_THU_KHONG_HOP_LE', certSerial: peer.serial, certSubject: peer.subject, remoteAddress: peer.remoteAddress, details: { reason: 'revoked' } });
      socket.destroy();
      return;
    }
    let set = bySerial.get(peer.serial);
    if (!set) bySerial.set(peer.serial, (set = new Set()));
    set.add(socket);
    socket.once('close', () => {
      set!.delete(socket);
      if (set!.size === 0) bySerial.delete(peer.serial);
    });
  });

  deps.certs.onChange(() => {
    for (const [serial, sockets] of bySerial) {
      if (!deps.certs.isRevoked(serial)) continue;
      for (const socket of sockets) {
        connectionsCut.inc({ reason: 'revoked' });
        socket.destroy();
      }
      bySerial.delete(serial);
    }
    // Tickets issued before the change must not resume a session without the new checks.
    server.setTicketKeys(randomBytes(48));
    // New trust anchors, CA material and CRLs take effect for new handshakes without a restart.
    deps
      .tlsMaterial()
      .then((material) => server.setSecureContext(tlsOptions(material)))
      .catch((err) => ctx.log.error('Không nạp lại được chứng thư TLS của cổng dữ liệu', { err }));
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void route(req, res).catch((err) => {
      ctx.log.error('Lỗi không xử lý được ở cổng dữ liệu', { err });
      if (!res.headersSent) writeAnswer(res, problemAnswer(new GatewayError('LOI_HE_THONG', { requestId: '' })));
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const meta: RequestMeta = { method: req.method ?? 'GET', path, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), headers: req.headers };
    const socket = req.socket as TLSSocket;
    if (!socket.authorized) {
      socket.destroy();
      return;
    }
    return deps.pipeline.handle(req, res, meta, peerOf(socket), deps.frontForPath(path));
  }

  const port = await listenOn(server, listen);
  return {
    server,
    port,
    pipeline: deps.pipeline,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
