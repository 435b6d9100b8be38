/**
 * Certificates on the admin plane (/api/v1/admin/certs…): the CLI's verbs over REST through the
 * same services, so rules and audit records are identical. network-admin issues, signs,
 * revokes and manages trust anchors; an auditor may read listings, the CRL and anchors.
 * An issue answer carries the private key exactly once (Cache-Control: no-store); prefer
 * sign-csr, where the key never leaves the client.
 */
import express, { Router, type Request, type Response } from 'express';
import type { AdminModule } from '../core/admin-module.js';
import { adminCaller, problemResponse, requireRole, str, jsonBody, route } from '../core/admin-module.js';
import type { AppContext } from '../core/context.js';
import { issueCertificate, signCsr } from './issue.js';
import { revokeCertificate, currentCrl } from './revocation.js';
import { addTrustAnchors, certificatesFromBytes, listTrustAnchors, removeTrustAnchor } from './trust.js';
import { getCertificate, listCertificates, type CertState } from './registry.js';
import { CertError, REVOCATION_REASONS, type IssueRequest } from './types.js';


const handler = (fn: (req: Request, res: Response) => Promise<void>) => route(fn);

const body = jsonBody;

function days(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw new CertError('SO_NGAY_KHONG_HOP_LE', 'days phải là số nguyên');
  return n;
}

const ISSUABLE = ['client', 'admin', 'signing'] as const;

function router(ctx: AppContext): Router {
  const r = Router();
  // Parsers per route: other modules share the /api/v1/admin prefix.
  const json = express.json({ limit: '1mb' });
  const pemBody = [express.json({ limit: '1mb' }), express.text({ type: ['application/pkcs10', 'application/x-pem-file', 'text/plain', 'application/pkix-cert'], limit: '1mb' })];
  const admin = requireRole('network-admin');
  const reader = requireRole('network-admin', 'auditor');

  r.get(
    '/certs',
    reader,
    handler(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const list = await listCertificates(ctx.store.db, ctx.config, { kind: str(q.kind), status: str(q.status) as CertState | undefined, unit: str(q.unit), expiring: q.expiring === 'true' || q.expiring === '1' });
      res.json({ certificates: list, expiryWarningDays: ctx.config.tls.expiryWarningDays, warnings: list.filter((c) => c.expiryWarning).length });
    }),
  );

  r.post(
    '/certs',
    admin,
    json,
    handler(async (req, res) => {
      const b = body(req);
      const kind = str(b.kind) ?? 'client';
      if (!(ISSUABLE as readonly string[]).includes(kind)) throw new CertError('LOAI_CHUNG_THU_KHONG_HOP_LE', `kind phải là một trong: ${ISSUABLE.join(', ')}`);
      const req2: IssueRequest = {
        kind: kind as IssueRequest['kind'],
        cn: str(b.cn) ?? (kind === 'signing' && str(b.unit) ? `ky-so ${str(b.unit)}` : ''),
        unit: str(b.unit),
        role: str(b.role) as IssueRequest['role'],
        days: days(b.days),
        p12Password: str(b.p12Password),
        p12Cipher: str(b.p12Cipher) as IssueRequest['p12Cipher'],
      };
      const issued = await issueCertificate(ctx, req2, adminCaller(res).actor);
      const answer: Record<string, unknown> = { serial: issued.serial, subject: issued.subject, notAfter: issued.notAfter, certPem: issued.certPem, chainPem: issued.chainPem };
      // The gateway keeps signing keys itself (encrypted); only bundles for other machines carry a key.
      if (kind !== 'signing') answer.keyPem = issued.keyPem;
      if (issued.p12) answer.p12Base64 = issued.p12.toString('base64');
      res.status(201).set('Cache-Control', 'no-store').location(`/api/v1/admin/certs/${issued.serial}`).json(answer);
    }),
  );

  r.post(
    '/certs/sign-csr',
    admin,
    ...pemBody,
    handler(async (req, res) => {
      const b = typeof req.body === 'string' ? { csr: req.body } : body(req);
      const csr = str(b.csr);
      if (!csr) throw new CertError('CSR_KHONG_HOP_LE', 'Thiếu CSR (trường "csr" dạng PEM, hoặc thân yêu cầu application/pkcs10)');
      const q = req.query as Record<string, unknown>;
      const role = (str(b.role) ?? str(q.role)) as 'network-admin' | 'auditor' | undefined;
      const signed = await signCsr(ctx, csr, { unit: str(b.unit) ?? str(q.unit), role, kind: role ? 'admin' : 'client', days: days(b.days ?? q.days) }, adminCaller(res).actor);
      res.status(201).location(`/api/v1/admin/certs/${signed.serial}`).json(signed);
    }),
  );

  r.get(
    '/certs/crl',
    reader,
    handler(async (req, res) => {
      const crl = await currentCrl(ctx);
      const wantsDer = req.query.format === 'der' || (req.accepts(['application/x-pem-file', 'application/pkix-crl']) === 'application/pkix-crl' && req.query.format !== 'pem');
      res.set('Cache-Control', 'no-cache').set('Last-Modified', new Date(crl.thisUpdate).toUTCString());
      if (wantsDer) res.type('application/pkix-crl').send(crl.der);
      else res.type('application/x-pem-file').send(crl.pem);
    }),
  );

  r.get(
    '/certs/trust-anchors',
    reader,
    handler(async (_req, res) => {
      res.json({ trustAnchors: await listTrustAnchors(ctx.store.db) });
    }),
  );

  r.post(
    '/certs/trust-anchors',
    admin,
    ...pemBody,
    handler(async (req, res) => {
      const pem = typeof req.body === 'string' ? req.body : str(body(req).pem);
      if (!pem) throw new CertError('KHONG_CO_CHUNG_THU', 'Thiếu chứng thư CA (trường "pem", hoặc thân yêu cầu PEM)');
      const result = await addTrustAnchors(ctx, certificatesFromBytes(pem), adminCaller(res).actor);
      res.status(result.added.length ? 201 : 200).json(result);
    }),
  );

  r.delete(
    '/certs/trust-anchors/:fingerprint',
    admin,
    handler(async (req, res) => {
      res.json({ removed: await removeTrustAnchor(ctx, String(req.params.fingerprint), adminCaller(res).actor) });
    }),
  );

  r.get(
    '/certs/:serial',
    reader,
    handler(async (req, res) => {
      const c = await getCertificate(ctx.store.db, ctx.config, String(req.params.serial));
      if (!c) throw new CertError('CHUNG_THU_KHONG_TON_TAI', `Không có chứng thư số sê-ri ${req.params.serial}`);
      res.json(c);
    }),
  );

  r.post(
    '/certs/:serial/revoke',
    admin,
    json,
    handler(async (req, res) => {
      const reason = str(body(req).reason);
      if (!reason) throw new CertError('LY_DO_THU_HOI_KHONG_HOP_LE', `Thiếu lý do thu hồi ("reason"): ${Object.keys(REVOCATION_REASONS).join(', ')}`);
      res.json(await revokeCertificate(ctx, String(req.params.serial), reason, adminCaller(res).actor));
    }),
  );

  return r;
}

const tags = ['certs'];
const forbidden = problemResponse('Vai trò không được phép (KHONG_DUOC_PHEP)');
const serialParam = { name: 'serial', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9A-Fa-f:]+$' }, description: 'Số sê-ri hex (như Node/OpenSSL in ra)' };

const certificateSchema = {
  type: 'object',
  properties: {
    serial: { type: 'string' },
    kind: { type: 'string', enum: ['ca', 'server', 'client', 'admin', 'signing', 'central-client', 'audit'] },
    subject: { type: 'string' },
    cn: { type: 'string' },
    unit: { type: 'string' },
    role: { type: 'string', enum: ['network-admin', 'auditor'] },
    sans: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['active', 'revoked'] },
    state: { type: 'string', enum: ['active', 'revoked', 'expired', 'not-yet-valid'] },
    notBefore: { type: 'string', format: 'date-time' },
    notAfter: { type: 'string', format: 'date-time' },
    daysLeft: { type: 'integer' },
    expiryWarning: { type: 'boolean' },
    revokedAt: { type: 'string', format: 'date-time' },
    revocationReason: { type: 'string', enum: Object.keys(REVOCATION_REASONS) },
    fingerprintSha256: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
  },
  required: ['serial', 'kind', 'subject', 'cn', 'status', 'state', 'notBefore', 'notAfter', 'daysLeft', 'fingerprintSha256'],
};
const signedSchema = {
  type: 'object',
  properties: { serial: { type: 'string' }, subject: { type: 'string' }, notAfter: { type: 'string', format: 'date-time' }, certPem: { type: 'string' }, chainPem: { type: 'string' } },
  required: ['serial', 'subject', 'notAfter', 'certPem', 'chainPem'],
};
const anchorSchema = {
  type: 'object',
  properties: {
    fingerprintSha256: { type: 'string' },
    subject: { type: 'string' },
    notBefore: { type: 'string', format: 'date-time' },
    notAfter: { type: 'string', format: 'date-time' },
    selfSigned: { type: 'boolean' },
    addedAt: { type: 'string', format: 'date-time' },
    addedBy: { type: 'string' },
    pem: { type: 'string' },
  },
};

const openapi: Record<string, unknown> = {
  '/api/v1/admin/certs': {
    get: {
      tags,
      summary: 'Liệt kê chứng thư đã cấp: trạng thái, hạn dùng, cảnh báo sắp hết hạn (network-admin, auditor)',
      operationId: 'listCertificates',
      parameters: [
        { name: 'kind', in: 'query', schema: { type: 'string' } },
        { name: 'status', in: 'query', schema: { type: 'string', enum: ['active', 'revoked', 'expired', 'not-yet-valid'] } },
        { name: 'unit', in: 'query', schema: { type: 'string' } },
        { name: 'expiring', in: 'query', schema: { type: 'boolean' } },
      ],
      responses: {
        '200': {
          description: 'Danh sách',
          content: { 'application/json': { schema: { type: 'object', properties: { certificates: { type: 'array', items: certificateSchema }, expiryWarningDays: { type: 'integer' }, warnings: { type: 'integer' } } } } },
        },
        '403': forbidden,
      },
    },
    post: {
      tags,
      summary: 'Cấp chứng thư (phần mềm, quản trị, ký số đơn vị); khóa bí mật chỉ có trong câu trả lời này (network-admin)',
      operationId: 'issueCertificate',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                kind: { type: 'string', enum: [...ISSUABLE], default: 'client' },
                cn: { type: 'string', maxLength: 64, description: 'Mã phần mềm hoặc tên quản trị viên' },
                unit: { type: 'string', description: 'Mã định danh đơn vị (client, signing)' },
                role: { type: 'string', enum: ['network-admin', 'auditor'], description: 'Bắt buộc khi kind=admin' },
                days: { type: 'integer', minimum: 1, maximum: 3650 },
                p12Password: { type: 'string', minLength: 4, description: 'Kèm tệp PKCS#12 (base64) được bảo vệ bằng mật khẩu này' },
                p12Cipher: { type: 'string', enum: ['3des', 'aes256'], default: '3des' },
              },
              required: ['cn'],
            },
          },
        },
      },
      responses: {
        '201': {
          description: 'Đã cấp (Cache-Control: no-store)',
          content: { 'application/json': { schema: { ...signedSchema, properties: { ...signedSchema.properties, keyPem: { type: 'string' }, p12Base64: { type: 'string' } } } } },
        },
        '400': problemResponse('Thông tin không hợp lệ'),
        '403': forbidden,
        '409': problemResponse('CA chưa khởi tạo (PKI_CHUA_KHOI_TAO)'),
      },
    },
  },
  '/api/v1/admin/certs/sign-csr': {
    post: {
      tags,
      summary: 'Ký CSR tạo tại máy khách; khóa bí mật không rời máy khách (network-admin)',
      operationId: 'signCsr',
      parameters: [
        { name: 'unit', in: 'query', schema: { type: 'string' } },
        { name: 'role', in: 'query', schema: { type: 'string', enum: ['network-admin', 'auditor'] } },
        { name: 'days', in: 'query', schema: { type: 'integer' } },
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { type: 'object', properties: { csr: { type: 'string' }, unit: { type: 'string' }, role: { type: 'string' }, days: { type: 'integer' } }, required: ['csr'] } },
          'application/pkcs10': { schema: { type: 'string' } },
        },
      },
      responses: { '201': { description: 'Đã ký', content: { 'application/json': { schema: signedSchema } } }, '400': problemResponse('CSR không hợp lệ'), '403': forbidden },
    },
  },
  '/api/v1/admin/certs/crl': {
    get: {
      tags,
      summary: 'CRL hiện hành do CA trung gian ký (PEM; DER với ?format=der hoặc Accept: application/pkix-crl)',
      operationId: 'getCrl',
      parameters: [{ name: 'format', in: 'query', schema: { type: 'string', enum: ['pem', 'der'] } }],
      responses: { '200': { description: 'CRL', content: { 'application/x-pem-file': { schema: { type: 'string' } }, 'application/pkix-crl': { schema: { type: 'string', format: 'binary' } } } }, '403': forbidden },
    },
  },
  '/api/v1/admin/certs/trust-anchors': {
    get: {
      tags,
      summary: 'Liệt kê neo tin cậy (network-admin, auditor)',
      operationId: 'listTrustAnchors',
      responses: { '200': { description: 'Danh sách', content: { 'application/json': { schema: { type: 'object', properties: { trustAnchors: { type: 'array', items: anchorSchema } } } } } }, '403': forbidden },
    },
    post: {
      tags,
      summary: 'Thêm chứng thư CA làm neo tin cậy (network-admin)',
      operationId: 'addTrustAnchor',
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { pem: { type: 'string' } }, required: ['pem'] } }, 'application/x-pem-file': { schema: { type: 'string' } } } },
      responses: { '201': { description: 'Đã thêm' }, '200': { description: 'Đã có sẵn' }, '400': problemResponse('Không phải chứng thư CA hợp lệ (KHONG_PHAI_CA, CA_HET_HAN…)'), '403': forbidden },
    },
  },
  '/api/v1/admin/certs/trust-anchors/{fingerprint}': {
    delete: {
      tags,
      summary: 'Gỡ một neo tin cậy (network-admin)',
      operationId: 'removeTrustAnchor',
      parameters: [{ name: 'fingerprint', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'Đã gỡ' }, '403': forbidden, '404': problemResponse('Không tìm thấy') },
    },
  },
  '/api/v1/admin/certs/{serial}': {
    get: {
      tags,
      summary: 'Chi tiết một chứng thư, kèm PEM (network-admin, auditor)',
      operationId: 'getCertificate',
      parameters: [serialParam],
      responses: { '200': { description: 'Chứng thư', content: { 'application/json': { schema: { ...certificateSchema, properties: { ...certificateSchema.properties, pem: { type: 'string' } } } } } }, '403': forbidden, '404': problemResponse('Không tìm thấy') },
    },
  },
  '/api/v1/admin/certs/{serial}/revoke': {
    post: {
      tags,
      summary: 'Thu hồi chứng thư; mọi phiên bản cổng từ chối nó trong vài giây (network-admin)',
      operationId: 'revokeCertificate',
      parameters: [serialParam],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', enum: Object.keys(REVOCATION_REASONS) } }, required: ['reason'] } } } },
      responses: {
        '200': {
          description: 'Đã thu hồi (hoặc đã thu hồi từ trước: alreadyRevoked)',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: { serial: { type: 'string' }, subject: { type: 'string' }, kind: { type: 'string' }, status: { type: 'string' }, revokedAt: { type: 'string' }, reason: { type: 'string' }, alreadyRevoked: { type: 'boolean' } },
              },
            },
          },
        },
        '400': problemResponse('Lý do hoặc số sê-ri không hợp lệ'),
        '403': forbidden,
        '404': problemResponse('Không có chứng thư này'),
        '409': problemResponse('Không thu hồi CA bằng lệnh này (KHONG_THU_HOI_CA)'),
      },
    },
  },
};

export const certsAdminModule: AdminModule = { name: 'certs', router, openapi };
