/**
 * Test-only audit signing identities: a throwaway CA and an audit signing certificate it issued
 * (node-forge, RSA keys generated natively), so the audit tests do not depend on the certs area.
 */
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import forge from 'node-forge';
import type { AuditSigningIdentity } from '../gateway/audit/chain.js';

export interface TestAuditPki {
  identity: AuditSigningIdentity;
  caPem: string;
  certPem: string;
}

function rsaPair() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    nodePrivate: privateKey,
    forgePrivate: forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }) as string),
    forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string),
  };
}

let serial = 1;

export async function makeAuditPki(cn = 'ndxp audit test'): Promise<TestAuditPki> {
  const caKeys = rsaPair();
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.forgePublic;
  ca.serialNumber = (serial++).toString(16).padStart(2, '0');
  ca.validity.notBefore = new Date(Date.now() - 3600_000);
  ca.validity.notAfter = new Date(Date.now() + 365 * 86400_000);
  ca.setSubject([{ name: 'commonName', value: `${cn} CA` }]);
  ca.setIssuer([{ name: 'commonName', value: `${cn} CA` }]);
  ca.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }]);
  ca.sign(caKeys.forgePrivate, forge.md.sha256.create());

  const keys = rsaPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.forgePublic;
  cert.serialNumber = (serial++).toString(16).padStart(2, '0');
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86400_000);
  cert.setSubject([{ name: 'commonName', value: cn }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([{ name: 'keyUsage', digitalSignature: true, nonRepudiation: true, critical: true }]);
  cert.sign(caKeys.forgePrivate, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return {
    identity: { alg: 'RS256', certDerBase64: der.toString('base64'), privateKey: createPrivateKey(keys.nodePrivate.export({ type: 'pkcs8', format: 'pem' })) },
    caPem: forge.pki.certificateToPem(ca),
    certPem: forge.pki.certificateToPem(cert),
  };
}
