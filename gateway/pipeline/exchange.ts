/**
 * One data-plane exchange as it travels through the pipeline: what is known of the request so
 * far (peer, front, call, identity, body), what became of it (results, outcome, refusal) and the
 * facts the epilogue needs to audit, count and answer it. Stages fill it in; they never write to
 * the socket, the trail or the metrics themselves — the one epilogue (epilogue.ts) does.
 *
 * A route is an ordered list of stages (routes.ts). A stage either returns (the next one runs),
 * sets `answer` or `relay` (the exchange is answered: no further stage runs), or throws (the
 * refusal is rendered in the caller's protocol by the epilogue).
 *
 * Hot path: one Exchange per request, plain fields (one object shape), no closures.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IncomingCall, PresentedCredentials, VendorFront } from '../../adapters/types.js';
import type { HttpAnswer, RequestMeta } from '../../core/http.js';
import type { AppContext } from '../../core/context.js';
import { GatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/ids.js';
import type { OutOfScope } from './execute.js';
import type { Peer } from './peer.js';
import type { ClientRef, KeyIdentity, KeyUse } from './ports.js';

/** One step of a route. `name` is what the README's request flow shows. */
export interface Stage {
  readonly name: string;
  run(x: Exchange): void | Promise<void>;
}

/**
 * Which exchanges reach the audit trail: every one (protocol fronts; a stage may raise a JSON
 * route to it, as POST /token does once a token is issued), refusals only (JSON reads), or none
 * (WSDL documents, unknown paths).
 */
export type TrailPolicy = 'all' | 'refusals' | 'none';

export interface Route {
  /** Metrics (and trail) label of the door: 'json' for the JSON endpoints; a front's own id replaces it. */
  readonly front: string;
  /** The trail's label when it differs from the metrics' (POST /token: 'token'). */
  readonly trailFront?: string;
  /** Operation label of a JSON endpoint (a front's comes from its call). */
  readonly operation?: string;
  readonly trail: TrailPolicy;
  /** Observe ndxp_request_duration_seconds (every front and JSON route; not the WSDL documents). */
  readonly timed: boolean;
  readonly stages: readonly Stage[];
  /** How a refusal is answered when not as a JSON problem or by the front (POST /token: OAuth errors). */
  readonly refusal?: (err: GatewayError, x: Exchange) => HttpAnswer;
}

/** Hands the request on to another server (the pass-through); the relay writes the answer. */
export type Relay = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export class Exchange {
  readonly requestId = newRequestId();
  readonly started = performance.now();
  readonly front: string;
  trailFront: string;
  operation: string | undefined;
  /** The trail's operation when it says more than the metrics label (pass-through: the path template). */
  trailOperation: string | undefined = undefined;
  trail: TrailPolicy;
  timed: boolean;
  /** False for what is not a request to any door (unknown paths): not counted. */
  counted = true;
  /** Close the connection once answered (the certificate is no longer good). */
  closeAfter = false;
  /** Refused at admission (overload): answered and counted, but summed into one trail entry and
   *  one log line per interval (shed-report.ts) instead of one each. */
  shed = false;

  body: Buffer | undefined = undefined;
  call: IncomingCall | undefined = undefined;
  credentials: PresentedCredentials | undefined = undefined;
  use: KeyUse = ANY_USE;
  identity: KeyIdentity | undefined = undefined;
  /** Slots the request holds while it works (admission, the key's concurrency), given back before the epilogue. */
  private readonly held: (() => void)[] = [];

  /** Full personal ids of the records concerned (the trail masks them). */
  personalIds: string[] = [];
  trackingIds: string[] = [];
  /** At least one record was accepted but not yet delivered: the trail must hold the exchange before the answer goes. */
  queued = false;
  /** Small facts for the trail in place of long caller-supplied lists. */
  details: Record<string, unknown> | undefined = undefined;
  outOfScope: OutOfScope | undefined = undefined;
  /** Records in the call and how many per status (the access line's `records`, `recordStatus`). */
  recordCount: number | undefined = undefined;
  recordStatus: Record<string, number> | undefined = undefined;
  /** Distinct codes of records that were refused or failed (invalid, central refusal, MaKetQua 9); unset when none. */
  recordCodes: string[] | undefined = undefined;

  answer: HttpAnswer | undefined = undefined;
  relay: Relay | undefined = undefined;
  outcome = 'ok';
  error: GatewayError | undefined = undefined;
  private lockoutClient: ClientRef | undefined = undefined;

  constructor(
    readonly route: Route,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly meta: RequestMeta,
    /** Absent only when the connection carries no certificate: the certificate stage refuses it. */
    readonly peer: Peer | undefined,
    /** The protocol front of this path; absent for the JSON endpoints. */
    readonly protocol: VendorFront | undefined,
  ) {
    this.front = protocol?.id ?? route.front;
    this.trailFront = route.trailFront ?? this.front;
    this.operation = route.operation;
    this.trail = route.trail;
    this.timed = route.timed;
  }

  /** Answered: no further stage runs. */
  get done(): boolean {
    return this.answer !== undefined || this.relay !== undefined;
  }

  /** Keeps a slot for as long as the request works (runExchange gives it back before the epilogue). */
  hold(release: () => void): void {
    this.held.push(release);
  }

  /** Gives back every slot held, newest first. */
  releaseAll(): void {
    while (this.held.length) this.held.pop()!();
  }

  /** Who the lockout counts guesses against. */
  client(): ClientRef {
    return (this.lockoutClient ??= { certSerial: this.peer?.serial, remoteAddress: this.peer?.remoteAddress ?? this.req.socket.remoteAddress ?? '' });
  }

  refuse(err: GatewayError): void {
    this.error = err;
    this.outcome = 'refused';
  }
}

/** Any front, any operation: whoami and POST /token check the key alone. */
export const ANY_USE: KeyUse = Object.freeze({ front: '*', operation: '*' });

/** Turns anything thrown into a caller-safe GatewayError (internal errors are logged with the request id). */
export function asGatewayError(err: unknown, ctx: AppContext, requestId: string): GatewayError {
  if (err instanceof GatewayError) return err;
  ctx.log.error('Lỗi hệ thống khi xử lý yêu cầu', { requestId, err: err as Error });
  return new GatewayError('LOI_HE_THONG', { requestId }, (err as Error)?.message);
}
