/**
 * The admin plane: its own HTTPS listener (default 127.0.0.1:9443) for network admins and
 * auditors. Admin REST calls need an admin client certificate issued by the gateway's CA; the
 * role comes from the certificate registry (kind 'admin'), not from anything the client says.
 * /healthz, /readyz, /metrics and /openapi.json answer without a client certificate so that
 * orchestrators and scrapers can reach them (keep the listener on a management network); without
 * an admin certificate the health answers say only ready or not and which checks fail, never
 * file paths, URLs, host names or error texts.
 */
import https from 'node:https';
import type { TLSSocket, SecureContextOptions } from 'node:tls';
import express, { type Request, type Response, type NextFunction } from 'express';
import { listenOn } from '../../core/listen.js';
import type { AppContext } from '../../core/context.js';
import type { AdminCaller, AdminModule, AdminRole } from '../../core/admin-module.js';
import { problem } from '../../core/admin-module.js';
import { normalizeSerial } from '../../core/serial.js';
import { GatewayError, OperatorError } from '../../core/errors.js';
import { consoleRoutes } from './console.js';
import { formatBytes } from '../../core/http.js';
import { applyHttpLimits, defaultIdleTimeout, httpServerOptions } from '../ratelimit/http-limits.js';
import { connectionsCut } from '../../core/metrics.js';
import { keepPipelinedRequests } from '../../core/pipelining.js';

/**
 * The admin plane's slowest answers (audit verification or export over a long trail) have no
 * bound like the data plane's, so a connection silent both ways is cut only after this long;
 * slow clients are cut by the same header and request timeouts as on the data plane.
 */
const ADMIN_IDLE_TIMEOUT_MS = 10 * 60_000;

export interface AdminCertLookup {
  isRevoked(serial: string): boolean;
  certificate(serial: string): { kind: string; role?: string | null; status?: string } | undefined;
  /** Re-reads the registry now (an admin certificate issued a moment ago on another node). */
  refresh?(): Promise<void>;
}

export interface ReadinessCheck {
  name: string;
  /** Resolves with details; throws when not ready. */
  check(): Promise<Record<string, unknown> | void>;
}

export interface AdminPlaneDeps {
  tlsMaterial(): Promise<SecureContextOptions>;
  certs: AdminCertLookup;
  modules: AdminModule[];
  readiness: ReadinessCheck[];
  /** Prometheus exposition (aggregated over workers when clustered). */
  metrics(): Promise<{ contentType: string; body: string }>;
  onCertChange?(cb: () => void): void;
}

export interface AdminPlane {
  server: https.Server;
  port: number;
  close(): Promise<void>;
}

const ROLES: AdminRole[] = ['network-admin', 'auditor'];

/** The admin caller a request's client certificate proves, if any. */
type CallerResolver = (req: Request) => Promise<AdminCaller | undefined>;

function callerResolver(deps: AdminPlaneDeps): CallerResolver {
  // An unknown serial may be a certificate issued since the last refresh: look at the store,
  // at most every 250 ms. A caller inside that window waits for the next look rather than being
  // refused (an admin certificate issued a moment after another refresh must still work).
  const refresh = deps.certs.refresh;
  let lastRefresh = 0;
  let pending: Promise<void> | undefined;
  const lookup = async (serial: string) => {
    const found = deps.certs.certificate(serial);
    if (found || !refresh) return found;
    pending ??= new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, lastRefresh + 250 - Date.now())))
      .then(() => {
        lastRefresh = Date.now();
        return refresh();
      })
      .finally(() => {
        pending = undefined;
      });
    await pending;
    return deps.certs.certificate(serial);
  };
  return async (req) => {
    const socket = req.socket as TLSSocket;
    const cert = socket.authorized ? socket.getPeerCertificate() : undefined;
    const serial = cert?.serialNumber ? normalizeSerial(cert.serialNumber) : undefined;
    const known = serial ? await lookup(serial) : undefined;
    if (!cert || !serial || !known || known.kind !== 'admin' || deps.certs.isRevoked(serial) || !ROLES.includes(known.role as AdminRole)) return undefined;
    const subject = Object.entries(cert.subject as unknown as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return { actor: subject, role: known.role as AdminRole, certSerial: serial };
  };
}

function authenticate(resolve: CallerResolver) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const caller = await resolve(req);
    if (!caller) {
      problem(res, new GatewayError('CHUNG_THU_QUAN_TRI_KHONG_HOP_LE'));
      return;
    }
    res.locals.admin = caller;
    next();
  };
}

export function openApiDocument(modules: AdminModule[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/healthz': { get: { summary: 'Tiến trình đang chạy', tags: ['health'], responses: { '200': { description: 'OK' } } } },
    '/readyz': { get: { summary: 'Sẵn sàng phục vụ: kho dữ liệu, Redis, chứng thư số', tags: ['health'], responses: { '200': { description: 'Sẵn sàng' }, '503': { description: 'Chưa sẵn sàng' } } } },
    '/metrics': { get: { summary: 'Số liệu Prometheus', tags: ['health'], responses: { '200': { description: 'text/plain; version=0.0.4' } } } },
  };
  for (const m of modules) Object.assign(paths, m.openapi);
  return {
    openapi: '3.1.0',
    info: { title: 'ndxp-gateway admin API', version: '1', description: 'Quản trị cổng kết nối: mã kết nối, chứng thư số, hàng đợi, ánh xạ đơn vị, nhật ký kiểm toán. Xác thực bằng chứng thư số quản trị (mTLS).' },
    components: {
      securitySchemes: { mutualTLS: { type: 'mutualTLS', description: 'Chứng thư số quản trị do CA của cổng cấp; vai trò network-admin hoặc auditor' } },
    },
    security: [{ mutualTLS: [] }],
    tags: modules.map((m) => ({ name: m.name })),
    paths,
  };
}

export function buildAdminApp(ctx: AppContext, deps: AdminPlaneDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const resolveCaller = callerResolver(deps);
  // The node name carries the host name: for admins only.
  app.get('/healthz', async (req, res) => {
    res.json((await resolveCaller(req)) ? { status: 'ok', node: ctx.nodeName } : { status: 'ok' });
  });
  app.get('/readyz', async (req, res) => {
    const checks: Record<string, Record<string, unknown>> = {};
    let ready = true;
    for (const c of deps.readiness) {
      try {
        checks[c.name] = { ok: true, ...((await c.check()) ?? {}) };
      } catch (err) {
        ready = false;
        checks[c.name] = { ok: false, error: (err as Error).message };
      }
    }
    const status = ready ? 'ready' : 'not-ready';
    // Details (store path, Redis URL, error texts, expiring certificates) only for an admin certificate.
    const shown = (await resolveCaller(req)) ? checks : Object.fromEntries(Object.entries(checks).map(([name, c]) => [name, { ok: c.ok }]));
    res.status(ready ? 200 : 503).json({ status, checks: shown });
  });
  app.get('/metrics', async (_req, res) => {
    try {
      const m = await deps.metrics();
      res.type(m.contentType).send(m.body);
    } catch (err) {
      problem(res, err);
    }
  });
  const doc = openApiDocument(deps.modules);
  app.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  const api = express.Router();
  api.use(authenticate(resolveCaller));
  // No body parser here: each route parses its own body under its own limit (1 MB, 16 kB,
  // 64 kB, 20 MB, 100 MB). A shared parser in front would read every body first under one limit.
  api.get('/whoami', (_req, res) => {
    res.json(res.locals.admin);
  });
  for (const m of deps.modules) api.use(m.router(ctx));
  app.use('/api/v1/admin', api);
  // The web console at `/`, for the same admin certificates as the API.
  app.use(consoleRoutes(resolveCaller));
  app.use((_req: Request, res: Response) => {
    problem(res, new OperatorError('KHONG_TIM_THAY', 'Không tìm thấy'));
  });
  // Express error handler (4 arguments): malformed JSON bodies and anything a router threw.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    // A path parameter with malformed percent-encoding (Express's decodeURIComponent failed).
    if (err instanceof URIError) {
      problem(res, new GatewayError('YEU_CAU_HTTP_KHONG_HOP_LE', {}, 'malformed percent-encoding'));
      return;
    }
    if (e?.type === 'entity.too.large') {
      problem(res, new GatewayError('DU_LIEU_QUA_LON', { limit: formatBytes((err as { limit: number }).limit) }, 'admin body over its route limit'));
      return;
    }
    if (e?.type === 'entity.parse.failed') {
      problem(res, new OperatorError('JSON_KHONG_HOP_LE', 'Nội dung JSON không hợp lệ'));
      return;
    }
    if (!e?.status || e.status >= 500) ctx.log.error('Lỗi khi xử lý yêu cầu quản trị', { err: err as Error });
    problem(res, err);
  });
  return app;
}

export async function startAdminPlane(ctx: AppContext, deps: AdminPlaneDeps, listen = ctx.config.adminListen): Promise<AdminPlane> {
  const app = buildAdminApp(ctx, deps);
  const options = (material: SecureContextOptions): https.ServerOptions => ({
    ...material,
    requestCert: true,
    rejectUnauthorized: false, // health endpoints answer without a certificate; /api checks `socket.authorized`
    minVersion: 'TLSv1.2',
  });
  const limits = ctx.config.limits;
  const server = https.createServer({ ...options(await deps.tlsMaterial()), ...httpServerOptions(limits) }, app);
  // Slow-loris clients, oversized headers and slow handshakes are cut here as on the data plane.
  applyHttpLimits(server, limits, { onCut: (reason) => connectionsCut.inc({ reason }), idleTimeoutMs: Math.max(defaultIdleTimeout(limits), ADMIN_IDLE_TIMEOUT_MS) });
  keepPipelinedRequests(server);
  deps.onCertChange?.(() => {
    deps
      .tlsMaterial()
      .then((m) => server.setSecureContext(options(m)))
      .catch((err) => ctx.log.error('Không nạp lại được chứng thư TLS của cổng quản trị', { err }));
  });
  const port = await listenOn(server, listen);
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
