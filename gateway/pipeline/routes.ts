/**
 * Every data-plane request as one ordered list of stages (stages/, one file each), ended by the
 * one epilogue (epilogue.ts) that audits, counts and answers. This file is the request flow:
 * the README's "How a request flows" shows these lists. A new stage is one file in stages/ and
 * one line in a list below.
 *
 * The parts are wired into the stages once, when the data plane starts; a request then costs
 * one Exchange object and a walk down its route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestLimits, VendorFront } from '../../adapters/types.js';
import type { AppContext } from '../../core/context.js';
import type { RequestMeta } from '../../core/http.js';
import type { TokenService } from '../keys/bearer.js';
import type { Delivery } from '../delivery/types.js';
import { Exchange, type Route } from './exchange.js';
import type { Peer } from './peer.js';
import type { AbuseGuard, CertStatus, KeyCheck, PassThrough, RecordPreparer } from './ports.js';
import { runExchange } from './run.js';
import { authenticate } from './stages/authenticate.js';
import { certificate } from './stages/certificate.js';
import { concurrency } from './stages/concurrency.js';
import { admission } from './stages/admission.js';
import { describe } from './stages/describe.js';
import { execute } from './stages/execute.js';
import { getOnly } from './stages/get-only.js';
import { headerCredentials } from './stages/header-credentials.js';
import { issueToken } from './stages/issue-token.js';
import { lockout } from './stages/lockout.js';
import { notFound } from './stages/not-found.js';
import { passThrough, READ_PATHS } from './stages/pass-through.js';
import { readBody } from './stages/read-body.js';
import { readRequest } from './stages/read-request.js';
import { requestLimit } from './stages/request-limit.js';
import { tokenRequest, tokenRefusal } from './stages/token-request.js';
import { TRACKING_PREFIX, tracking } from './stages/tracking.js';
import { whoami } from './stages/whoami.js';
import type { MismatchWarnings } from '../doi-soat/warnings.js';

/** The services the stages use, assembled by gateway/runtime.ts. */
export interface PipelineParts {
  ctx: AppContext;
  certs: CertStatus;
  keys: KeyCheck;
  guard: AbuseGuard;
  tokens: TokenService;
  delivery: Delivery;
  preparer: RecordPreparer;
  passThrough: PassThrough;
  /** Open population-matching mismatches of delivered records, as warnings on status answers (issue 13). */
  mismatches?: MismatchWarnings;
  /** The address WSDL documents name (follows an ephemeral port in tests). */
  publicUrl(): string;
}

/** A JSON endpoint: when it answers a request, and its route. */
export interface JsonRoute {
  matches(method: string | undefined, path: string): boolean;
  route: Route;
}

export interface Routes {
  /** Every protocol front (vendor A/B/C, JSON records): the front is the exchange's. */
  front: Route;
  json: JsonRoute[];
  notFound: Route;
}

/** POST /token's form is small: client id, secret, grant type. */
const TOKEN_BODY_LIMIT = 16 * 1024;

export function requestLimits(ctx: AppContext): RequestLimits {
  const l = ctx.config.limits;
  return {
    maxBodyBytes: l.maxBodyBytes,
    xmlMaxDepth: l.xmlMaxDepth,
    xmlMaxElements: l.xmlMaxElements,
    xmlMaxAttributes: l.xmlMaxAttributes,
    xmlMaxAttributeLength: l.xmlMaxAttributeLength,
    xmlMaxTextLength: l.xmlMaxTextLength,
    maxRecordsPerCall: l.maxRecordsPerCall,
    maxStatusIdsPerCall: l.maxStatusIdsPerCall,
    maxFutureSkewSeconds: ctx.config.vendorB.maxFutureSkewSeconds,
    now: () => new Date(),
  };
}

export function buildRoutes(p: PipelineParts): Routes {
  const limits = requestLimits(p.ctx);
  const unitOf = (code: string) => p.preparer.currentUnitCode(code);
  const checkCertificate = certificate(p.certs);
  const notLockedOut = lockout(p.guard);
  const checkKey = authenticate(p.keys, p.guard);
  const oneRequest = requestLimit(p.guard);
  // One admission count per process for every route that does work (pipelines are built once per process).
  const admit = admission(p.ctx.config.limits.maxInFlight);
  const json = { front: 'json', trail: 'refusals', timed: true } as const;

  return {
    front: {
      front: 'front', // replaced by each exchange's own front id
      trail: 'all',
      timed: true,
      stages: [
        checkCertificate,
        describe(p.publicUrl),
        admit,
        notLockedOut,
        readBody(limits.maxBodyBytes),
        readRequest(limits),
        checkKey,
        concurrency(p.guard),
        execute({ delivery: p.delivery, preparer: p.preparer, guard: p.guard, maxRecordsPerCall: limits.maxRecordsPerCall, mismatches: p.mismatches }),
      ],
    },
    json: [
      {
        matches: (method, path) => method === 'GET' && path === '/api/v1/whoami',
        route: { ...json, operation: 'whoami', stages: [checkCertificate, admit, notLockedOut, headerCredentials('*', '*'), checkKey, whoami(unitOf)] },
      },
      {
        matches: (method, path) => method === 'POST' && path === '/token',
        route: { ...json, trailFront: 'token', operation: 'token', refusal: tokenRefusal, stages: [checkCertificate, admit, readBody(TOKEN_BODY_LIMIT), tokenRequest, notLockedOut, checkKey, issueToken(p.tokens)] },
      },
      {
        matches: (method, path) => method === 'GET' && path.startsWith(TRACKING_PREFIX),
        route: { ...json, operation: 'tracking', stages: [checkCertificate, admit, notLockedOut, headerCredentials('*', 'status'), checkKey, oneRequest, tracking(p.delivery, unitOf, p.mismatches)] },
      },
      {
        matches: (_method, path) => READ_PATHS.some((re) => re.test(path)),
        route: { ...json, operation: 'read', stages: [checkCertificate, getOnly, admit, notLockedOut, headerCredentials('json', 'read'), checkKey, oneRequest, passThrough(p.passThrough, unitOf)] },
      },
    ],
    notFound: { ...json, stages: [checkCertificate, notFound] },
  };
}

export interface Pipeline {
  routes: Routes;
  /** Runs one request: `front` is the protocol front of its path, if any. */
  handle(req: IncomingMessage, res: ServerResponse, meta: RequestMeta, peer: Peer | undefined, front: VendorFront | undefined): Promise<void>;
}

export function createPipeline(ctx: AppContext, routes: Routes): Pipeline {
  const jsonRoute = (method: string | undefined, path: string): Route => {
    for (const r of routes.json) if (r.matches(method, path)) return r.route;
    return routes.notFound;
  };
  return {
    routes,
    handle: (req, res, meta, peer, front) => runExchange(new Exchange(front ? routes.front : jsonRoute(req.method, meta.path), req, res, meta, peer, front), ctx),
  };
}
