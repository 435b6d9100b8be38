/**
 * How an area of the gateway contributes to the admin plane: an Express router mounted under
 * /api/v1/admin, plus the OpenAPI paths it serves (merged into /openapi.json). The admin server
 * authenticates the client certificate before any router runs and puts the caller on
 * `res.locals.admin`; routers only check the role an operation needs.
 */
import type { Router, Request, Response, NextFunction } from 'express';
import type { AppContext } from './context.js';
import { GatewayError, OperatorError, isErrorCode, type ErrorCode } from './errors.js';
import { problemDocument } from './http.js';

export type AdminRole = 'network-admin' | 'auditor';

export interface AdminCaller {
  /** Certificate subject, e.g. "CN=nguyen.van.a,OU=network-admin,O=ndxp-gateway". */
  actor: string;
  role: AdminRole;
  certSerial: string;
}

export interface AdminModule {
  /** Short name, used as the OpenAPI tag. */
  name: string;
  /** Builds the router; paths are relative to /api/v1/admin. */
  router(ctx: AppContext): Router;
  /** OpenAPI 3.1 path items, keyed by full path (e.g. "/api/v1/admin/keys/{keyId}"). */
  openapi: Record<string, unknown>;
}

export function adminCaller(res: Response): AdminCaller {
  return res.locals.admin as AdminCaller;
}

/** Middleware: the caller must hold one of these roles. Roles are disjoint (least privilege): an auditor reads traffic and admin history, a network-admin manages keys, certificates and configuration. */
export function requireRole(...roles: AdminRole[]) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    const caller = res.locals.admin as AdminCaller | undefined;
    if (!caller || !roles.includes(caller.role)) {
      problem(res, new OperatorError('KHONG_DUOC_PHEP', 'Vai trò quản trị không được phép thực hiện thao tác này'));
      return;
    }
    next();
  };
}

/**
 * Answers with the JSON problem document (RFC 9457) for a GatewayError or any other failure;
 * `extra` adds members (e.g. what this node still knows when a shared store is down).
 */
export function problem(res: Response, err: unknown, extra?: Record<string, unknown>): void {
  const send = (status: number, code: ErrorCode, title: string) => {
    res.status(status).json(problemDocument(status, code, title, extra));
  };
  if (err instanceof GatewayError) return send(err.httpStatus, err.code, err.message);
  // Express's own refusals (body parser: malformed or oversized body…) carry a 4xx status.
  const e = err as { status?: number; code?: string; message?: string };
  if (e && typeof e.status === 'number' && e.status < 500) return send(e.status, isErrorCode(e.code) ? e.code : 'YEU_CAU_KHONG_HOP_LE', e.message ?? '');
  send(500, 'LOI_HE_THONG', 'Lỗi hệ thống');
}

/** OpenAPI schema of the problem document every admin refusal is (core/http.ts problemDocument). */
export const PROBLEM_SCHEMA = {
  type: 'object',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, code: { type: 'string' } },
  required: ['type', 'title', 'status', 'code'],
};

/** An OpenAPI response that is a problem document. */
export function problemResponse(description = 'Lỗi (RFC 9457)') {
  return { description, content: { 'application/problem+json': { schema: PROBLEM_SCHEMA }, 'application/json': { schema: PROBLEM_SCHEMA } } };
}

/** A non-empty string query or body value, else undefined. */
export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The request's JSON object body ({} when absent or not an object). */
export function jsonBody(req: Request): Record<string, unknown> {
  return req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
}

/**
 * Wraps an async route handler: a thrown error becomes a problem document (or, once streaming
 * has begun, a cut connection). `answer` lets an area render its own errors first; it returns
 * true when it answered.
 */
export function route(fn: (req: Request, res: Response) => Promise<void>, answer?: (err: unknown, res: Response) => boolean) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      await fn(req, res);
    } catch (err) {
      if (res.headersSent) {
        res.destroy(err as Error);
        return;
      }
      if (answer?.(err, res)) return;
      problem(res, err);
    }
  };
}
