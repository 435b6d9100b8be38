/**
 * Where the simulator's TLS material comes from by default: the gateway's own PKI in the same
 * store and data directory. It presents the 'central-sim' server certificate (issued by the
 * gateway's CA, with the names of centralListen / centralUrl) and accepts client certificates
 * that chain to the gateway's CAs: the gateway's central-client identity in particular.
 * ensurePki first, so a fresh machine works without `ndxp certs init`.
 */
import type { Config } from '../config/config.js';
import { ensurePki } from '../certs/pki.js';
import { centralClientIdentity, serverTlsMaterial } from '../certs/material.js';
import { X509Certificate } from 'node:crypto';
import { closeContext, openContext } from '../gateway/context.js';
import { quietLogger } from '../core/log.js';

export interface SimTlsMaterial {
  /** PEM private key of the server certificate. */
  key: string;
  /** PEM server certificate (plus chain). */
  cert: string;
  /** PEM CA certificates whose client certificates are accepted (and, by default, whose signing certificates are trusted). */
  ca: string | string[];
  /** PEM CRLs checked during the handshake. */
  crl?: string | string[];
}

export async function loadSimTlsMaterial(config: Config): Promise<SimTlsMaterial> {
  const ctx = await openContext(config, { log: quietLogger() });
  try {
    await ensurePki(ctx);
    return await serverTlsMaterial(ctx, 'central-sim');
  } finally {
    await closeContext(ctx);
  }
}

/**
 * The subject CN of the gateway's own client identity towards the central database (created if
 * missing). The CN survives the identity's automatic renewal, unlike its serial, so it is what
 * `--only-gateway` admits.
 */
export async function gatewayClientCommonName(config: Config): Promise<string> {
  const ctx = await openContext(config, { log: quietLogger() });
  try {
    await ensurePki(ctx);
    const identity = await centralClientIdentity(ctx);
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(identity.cert).subject)?.[1];
    if (!cn) throw new Error('central-client certificate without a CN');
    return cn;
  } finally {
    await closeContext(ctx);
  }
}
