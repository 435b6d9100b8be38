/**
 * PKCS#12 bundles for client software that imports a .pfx/.p12 (Windows certificate store,
 * .NET X509Certificate2, Java keystores). node-forge is used only here, because WebCrypto has
 * no PKCS#12.
 *
 * Default cipher: pbeWithSHAAnd3-KeyTripleDES-CBC for the key bag with a SHA-1 MAC: the
 * combination every Windows version since XP, every .NET Framework (2.0+) and every Java 6+
 * keystore imports. PBES2/AES-256 ('aes256') is offered for modern clients only: Windows before
 * Server 2019 / 10 1709 and .NET Framework on those systems refuse it.
 */
import forge from 'node-forge';
import type { KeyObject } from 'node:crypto';

export function buildPkcs12(opts: {
  privateKey: KeyObject;
  certPem: string;
  chainPems: string[];
  password: string;
  friendlyName: string;
  cipher?: '3des' | 'aes256';
}): Buffer {
  // forge wants a PKCS#1/PKCS#8 RSA key in its own format.
  const keyPem = opts.privateKey.export({ type: 'pkcs1', format: 'pem' }) as string;
  const key = forge.pki.privateKeyFromPem(keyPem);
  const certs = [opts.certPem, ...opts.chainPems].map((pem) => forge.pki.certificateFromPem(pem));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, certs, opts.password, {
    algorithm: opts.cipher ?? '3des',
    friendlyName: opts.friendlyName,
    generateLocalKeyId: true,
    count: 2048,
  });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}
