/**
 * The client certificate behind a data-plane connection, the first fact of every exchange: read
 * once per TLS connection and cached on the socket, so requests on a keep-alive connection reuse
 * it and the revocation check per request is a Set lookup. The listener reads it; the pipeline's
 * stages use it (which is why it lives here and not in the listener).
 */
import type { TLSSocket } from 'node:tls';
import { normalizeSerial } from '../../core/serial.js';

export interface Peer {
  /** Upper-case hex, as certs/serial.ts normalises serials. */
  serial: string;
  subject: string;
  /** Subject common name: the software id for legacy clients. */
  cn: string;
  issuer: string;
  notAfter: string;
  /** notAfter as epoch ms, for the per-request validity check. */
  notAfterMs: number;
  fingerprint256: string;
  remoteAddress: string;
}

const PEER = Symbol('ndxp.peer');
type SocketWithPeer = TLSSocket & { [PEER]?: Peer };

function dn(fields: Record<string, string | string[]> | undefined): string {
  if (!fields) return '';
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(',');
}

export function peerOf(socket: TLSSocket): Peer | undefined {
  const cached = (socket as SocketWithPeer)[PEER];
  if (cached) return cached;
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.serialNumber) return undefined;
  const subject = cert.subject as unknown as Record<string, string | string[]>;
  const peer: Peer = {
    serial: normalizeSerial(cert.serialNumber),
    subject: dn(subject),
    cn: String(Array.isArray(subject?.CN) ? subject.CN[0] : (subject?.CN ?? '')),
    issuer: dn(cert.issuer as unknown as Record<string, string | string[]>),
    notAfter: new Date(cert.valid_to).toISOString(),
    notAfterMs: Date.parse(cert.valid_to),
    fingerprint256: cert.fingerprint256,
    remoteAddress: socket.remoteAddress ?? '',
  };
  (socket as SocketWithPeer)[PEER] = peer;
  return peer;
}
