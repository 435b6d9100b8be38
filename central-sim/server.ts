/**
 * The central database simulator: an HTTPS server with mutual TLS implementing the central
 * synchronisation API (api.ts) on its own SQLite file (store.ts), with faults on demand
 * (faults.ts) and a control endpoint (`/__sim/*`) for faults and counts.
 *
 * Lean `node:https` on purpose: it is the upstream in the benchmarks, so the hot path is a body
 * read, one synchronous handler with prepared statements, and one write.
 *
 * Control endpoint: served on the mTLS listener (any client certificate the simulator trusts), and
 * on a plain-HTTP control listener bound to loopback (`controlUrl`), which keeps answering while
 * the API listener is "down".
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { splitHostPort } from '../config/config.js';
import { createLogger, type Logger } from '../core/log.js';
import { createCentralApi, type Operation } from './api.js';
import { FaultError, FaultState, parseFaults, type FaultSet, type PreDecision } from './faults.js';
import { checkMatchingOptions, createMatching, MatchingInputError, type MatchingOptions, type MatchingRunCounts, type PopulationEntry } from './matching.js';
import { loi, type LoiBody } from './messages.js';
import { checkPopulationOptions, parsePopulationChange, PopulationInputError, type PopulationOptions } from './population.js';
import { createSignatureVerifier } from './signature.js';
import { SimStore, type JournalEntry } from './store.js';
import { loadSimTlsMaterial, type SimTlsMaterial } from './tls.js';

export type { FaultSet } from './faults.js';
export type { SimTlsMaterial } from './tls.js';
export type { MatchingOptions, MatchingRunCounts, PopulationEntry } from './matching.js';
export type { Citizen, MismatchKind, PopulationOptions } from './population.js';

export interface CentralSimOptions {
  config: Config;
  /** Where central-sim.sqlite lives. Default: config.dataDir. */
  dataDir?: string;
  /** host:port of the API (mTLS) listener. Default: config.centralListen. Port 0 picks a free port. */
  listen?: string;
  /** Faults in force from the start: a FaultSet or its JSON text. */
  faults?: FaultSet | string;
  /** Server key/certificate and the CAs whose client certificates are accepted. Default: the
   *  gateway's PKI in the same data directory (ensurePki, then the 'central-sim' server identity). */
  tls?: SimTlsMaterial;
  /** Plain-HTTP control listener (loopback only). Default '127.0.0.1:0'; false: none. */
  controlListen?: string | false;
  /** CAs allowed to issue the signing certificates in `chuKySo`. Default: the TLS material's CAs. */
  trustedSignerCas?: string[];
  /** Refuse records and units that name units the simulator does not know (422 MA_KHONG_TON_TAI). */
  requireKnownUnits?: boolean;
  /** Only these callers may use the API (403 KHONG_DUOC_PHEP otherwise), as the real central
   *  database accepts only registered gateways: client certificate serials (hex, any case) or
   *  subject CNs. Default: any client certificate the TLS CAs issued. */
  allowedClients?: { serials?: string[]; commonNames?: string[] };
  /** Largest request body accepted (default 64 MiB: 500 large records fit). */
  maxBodyBytes?: number;
  /** The simulated National Population Database (contract 1.1): seed, share and kinds of mismatches. */
  population?: PopulationOptions;
  /** When the daily matching runs (default 01:00 Vietnam time). */
  matching?: MatchingOptions;
  log?: Logger;
}

export interface CentralSimStats {
  startedAt: string;
  dataFile: string;
  requests: {
    total: number;
    byStatus: Record<string, number>;
    byOperation: Record<string, number>;
    /** TLS handshakes refused (no or untrusted client certificate, revoked, protocol errors). */
    tlsRefused: number;
    /** TLS connections accepted: how well a caller reuses its connections. */
    tlsConnections: number;
  };
  profiles: {
    stored: number;
    created: number;
    updated: number;
    unchanged: number;
    stale: number;
    invalid: number;
    signatureFailures: number;
  };
  units: { stored: number; created: number; updated: number; unchanged: number; stale: number; invalid: number };
  /** Writes applied (created or updated), profiles + units. */
  applied: number;
  idempotency: { keys: number; replays: number; conflicts: number };
  /** How often each fault fired, by name (status503, status429, hang, latency, failAfterCommit, random503…). */
  faultsInjected: Record<string, number>;
  /** Contract 1.1: matching runs, results published (by outcome), population register entries. */
  doiSoat: { runs: number; results: number; byKetQua: Record<string, number>; danCu: number };
  /** (record, version) pairs applied more than once. Always 0 unless the simulator is broken. */
  duplicatesApplied: number;
  /** Applied writes per soDinhDanh (omitted with `summary`). */
  appliedBySoDinhDanh?: Record<string, number>;
  /** Applied writes per unit code (omitted with `summary`). */
  appliedByMaDinhDanh?: Record<string, number>;
}

export interface JournalQuery {
  kind?: 'profile' | 'unit';
  /** soDinhDanh or maDinhDanh. */
  id?: string;
  afterSeq?: number;
  limit?: number;
}

export interface CentralSim {
  /** https://host:port of the API listener. */
  url: string;
  port: number;
  /** http://127.0.0.1:port of the plain control listener, if any. */
  controlUrl?: string;
  dataDir: string;
  stats(options?: { summary?: boolean }): CentralSimStats;
  faults(): FaultSet & { remaining: Record<string, number> };
  /** Replaces the faults in force (validated; throws FaultError). Resolves once `down` took effect. */
  setFaults(faults: FaultSet | unknown): Promise<void>;
  resetFaults(): Promise<void>;
  /** Forgets every stored record, unit, idempotency key, journal entry and counter. */
  wipe(options?: { keepIdempotency?: boolean }): void;
  journal(query?: JournalQuery): JournalEntry[];
  /** Runs a matching now (for `ngay`, default today in Vietnam) and answers its counts. */
  runMatching(input?: { ngay?: string }): Promise<MatchingRunCounts>;
  /** Sets or replaces population register entries (`congDan`), or makes ids unknown (`xoa`). */
  setPopulation(input: unknown): { daDat: number; daXoa: number };
  /** The register's entry for an id (derived from the stored record the first time). */
  population(soDinhDanh: string): PopulationEntry;
  close(): Promise<void>;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function urlHost(host: string): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return h.includes(':') ? `[${h}]` : h;
}

export async function startCentralSim(options: CentralSimOptions): Promise<CentralSim> {
  const { config } = options;
  const log = options.log ?? createLogger({ component: 'central-sim' });
  const dataDir = path.resolve(options.dataDir ?? config.dataDir);
  const tls = options.tls ?? (await loadSimTlsMaterial(config));
  const { host, port: wantedPort } = splitHostPort(options.listen ?? config.centralListen);
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;

  // Validate the fault document before opening anything, so a bad one leaks nothing.
  const initialFaults = parseFaults(typeof options.faults === 'string' ? JSON.parse(options.faults) : options.faults);
  checkPopulationOptions(options.population);
  checkMatchingOptions(options.matching);
  const store = new SimStore(dataDir);
  const matching = createMatching(store, { population: options.population, matching: options.matching, log });
  const caList = Array.isArray(tls.ca) ? tls.ca : [tls.ca];
  const verifier = createSignatureVerifier({ trustedCaPems: options.trustedSignerCas ?? caList });
  const api = createCentralApi(store, verifier, { requireKnownUnits: options.requireKnownUnits });
  const faults = new FaultState(initialFaults, (name) => store.bump(`faults.${name}`));
  const startedAt = new Date().toISOString();
  const callerAllowed = allowedCallerCheck(options.allowedClients);
  const hung = new Set<http.ServerResponse>();
  let closing = false;
  let draining = false;

  const server = https.createServer(
    {
      key: tls.key,
      cert: tls.cert,
      ca: caList,
      crl: pemCrls(tls.crl),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    (req, res) => serve(req, res, true),
  );
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 20_000;
  server.on('connection', (socket: Socket) => {
    // down in "reset" mode: accept the TCP connection and drop it at once.
    if (faults.down?.mode === 'reset') {
      store.bump('faults.downReset');
      socket.destroy();
    }
  });
  server.on('tlsClientError', () => store.bump('requests.tlsRefused'));
  server.on('secureConnection', () => store.bump('requests.tlsConnections'));

  let control: http.Server | undefined;
  if (options.controlListen !== false) {
    control = http.createServer((req, res) => serve(req, res, false));
  }

  // ---- listener lifecycle (down / up) -------------------------------------------------------
  let boundPort = wantedPort;
  let listening = false;
  let downTimer: NodeJS.Timeout | undefined;

  const listen = (srv: http.Server | https.Server, p: number, h: string) =>
    new Promise<number>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      srv.once('error', onError);
      srv.listen(p, h, () => {
        srv.off('error', onError);
        resolve((srv.address() as AddressInfo).port);
      });
    });

  /** Stops the API listener: abruptly for an outage, or letting answers in flight finish (graceMs) on shutdown. */
  const closeListener = (graceMs = 0) =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
      for (const res of hung) res.destroy();
      hung.clear();
      if (graceMs <= 0) server.closeAllConnections();
      else {
        draining = true;
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), graceMs).unref();
      }
    });

  const openListener = async () => {
    if (listening || closing) return;
    // The same port again, so the gateway's configured URL stays valid across an outage.
    boundPort = await listen(server, boundPort, host);
    listening = true;
  };

  /** Brings the listener in line with the `down` fault. */
  const applyDownNow = async () => {
    clearTimeout(downTimer);
    const down = faults.down;
    if (down?.mode === 'refuse') {
      await closeListener();
      log.info('Giả lập CSDL quốc gia ngừng nhận kết nối', { forMs: down.forMs });
    } else {
      if (down?.mode === 'reset') server.closeAllConnections();
      await openListener();
    }
    if (down?.forMs !== undefined) {
      downTimer = setTimeout(() => {
        faults.clearDown();
        void applyDown().catch((err) => log.error('Giả lập CSDL quốc gia không mở lại được', { err }));
      }, down.forMs);
      downTimer.unref();
    }
  };

  // Listener changes run one at a time, so quick down/up sequences cannot interleave a close
  // with a listen.
  let lifecycle: Promise<void> = Promise.resolve();
  const applyDown = (): Promise<void> => {
    lifecycle = lifecycle.then(applyDownNow, applyDownNow);
    return lifecycle;
  };

  const setFaults = async (input: unknown) => {
    faults.set(parseFaults(input));
    await applyDown();
  };

  // ---- request handling ---------------------------------------------------------------------
  function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}, requestId?: string) {
    if (res.destroyed) return;
    const h: Record<string, string | number> = { ...JSON_HEADERS, ...headers, 'content-length': Buffer.byteLength(body) };
    // Shutting down: the last answer on a keep-alive connection closes it, so close() need not wait.
    if (draining) h.connection = 'close';
    if (requestId) h['x-request-id'] = requestId;
    res.writeHead(status, h);
    res.end(body);
  }

  function sendLoi(res: http.ServerResponse, status: number, body: LoiBody, retryAfter?: number, requestId?: string) {
    send(res, status, JSON.stringify(body), retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {}, requestId);
  }

  function hang(res: http.ServerResponse) {
    hung.add(res);
    res.on('close', () => hung.delete(res));
  }

  function readBody(req: http.IncomingMessage): Promise<Buffer | 'too-large'> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        if (tooLarge) return;
        size += chunk.length;
        if (size > maxBodyBytes) {
          tooLarge = true;
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(tooLarge ? 'too-large' : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  /** Never lets a failure escape as an unhandled rejection: the simulator must not crash mid-benchmark. */
  function serve(req: http.IncomingMessage, res: http.ServerResponse, apiListener: boolean): void {
    onRequest(req, res, apiListener).catch((err: unknown) => {
      log.error('Giả lập CSDL quốc gia: lỗi khi xử lý yêu cầu', { err });
      if (!res.headersSent && !res.destroyed) sendLoi(res, 500, loi('LOI_HE_THONG'));
      else res.destroy();
    });
  }

  async function onRequest(req: http.IncomingMessage, res: http.ServerResponse, apiListener: boolean) {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    let pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
    try {
      pathname = decodeURIComponent(pathname);
    } catch {
      /* keep it raw: it will not route */
    }
    const query = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
    const method = req.method ?? 'GET';
    let body: Buffer | 'too-large';
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    if (pathname.startsWith('/__sim/')) return controlRequest(method, pathname, query, body, res, apiListener);
    if (!apiListener) return sendLoi(res, 404, loi('KHONG_TIM_THAY_DUONG_DAN'));

    const requestId = header(req, 'x-request-id');
    store.bump('requests.total');
    if (body === 'too-large') {
      store.bump('status.413');
      res.setHeader('connection', 'close');
      return sendLoi(res, 413, loi('DU_LIEU_QUA_LON'), undefined, requestId);
    }

    if (callerAllowed && !callerAllowed(req.socket as TLSSocket)) {
      store.bump('status.403');
      return sendLoi(res, 403, loi('KHONG_DUOC_PHEP'), undefined, requestId);
    }

    const decision: PreDecision = faults.before(method, pathname);
    if (decision.delayMs > 0) {
      // A slow server is slow at refusing too; and it keeps working after the caller gave up: the
      // write still happens, which is the case a gateway's timeout-then-retry must survive.
      await new Promise((r) => setTimeout(r, decision.delayMs));
    }
    if (decision.kind === 'hang') return hang(res);
    if (decision.kind === 'reset') return void req.socket.destroy();
    if (decision.kind === 'respond') {
      store.bump(`status.${decision.status}`);
      const retryable = decision.status === 429 || decision.status === 503;
      const code = decision.ma ?? (decision.status === 429 ? 'QUA_TAI' : decision.status === 503 ? 'TAM_DUNG_DICH_VU' : 'LOI_HE_THONG');
      const errorBody: LoiBody =
        decision.ma || decision.moTa
          ? { ma: code, moTa: decision.moTa ?? loi('LOI_HE_THONG').moTa }
          : loi(code as 'QUA_TAI' | 'TAM_DUNG_DICH_VU' | 'LOI_HE_THONG');
      const retryAfter = decision.retryAfter ?? (retryable ? 1 : undefined);
      return sendLoi(res, decision.status, errorBody, retryAfter, requestId);
    }

    let result;
    try {
      result = api.handle({ method, path: pathname, query, headers: req.headers, body });
    } catch (err) {
      log.error('Giả lập CSDL quốc gia: lỗi khi xử lý yêu cầu', { err, path: pathname });
      store.bump('status.500');
      return sendLoi(res, 500, loi('LOI_HE_THONG'), undefined, requestId);
    }
    if (result.operation) store.bump(`op.${result.operation}`);
    if (result.committed) {
      const lose = faults.afterCommit(method, pathname, decision);
      if (lose === 'hang') return hang(res);
      if (lose === 'reset') return void req.socket.destroy();
      if (lose === '500') {
        store.bump('status.500');
        return sendLoi(res, 500, loi('LOI_HE_THONG'), undefined, requestId);
      }
    }
    store.bump(`status.${result.status}`);
    send(res, result.status, result.body, result.headers, requestId);
  }

  async function controlRequest(
    method: string,
    pathname: string,
    query: URLSearchParams,
    body: Buffer | 'too-large',
    res: http.ServerResponse,
    apiListener: boolean,
  ) {
    const ok = (value: unknown) => send(res, 200, JSON.stringify(value));
    const parseBody = (): unknown => {
      if (body === 'too-large') throw new FaultError('Nội dung quá lớn');
      const text = body.toString('utf8').trim();
      return text ? JSON.parse(text) : {};
    };
    try {
      if (method === 'GET' && pathname === '/__sim/stats') return ok(stats({ summary: query.get('summary') === '1' || query.get('summary') === 'true' }));
      if (method === 'GET' && pathname === '/__sim/faults') return ok(faults.snapshot());
      if (method === 'GET' && pathname === '/__sim/health') return ok({ ok: true, listening, port: boundPort });
      if (method === 'GET' && pathname === '/__sim/journal') {
        const kind = query.get('maDinhDanh') ? 'unit' : 'profile';
        const id = query.get('soDinhDanh') ?? query.get('maDinhDanh') ?? undefined;
        return ok({
          entries: store.journalEntries({
            kind: (query.get('kind') as 'profile' | 'unit' | null) ?? kind,
            id,
            afterSeq: Number(query.get('after') ?? 0) || 0,
            limit: Number(query.get('limit') ?? 1000) || 1000,
          }),
        });
      }
      if (method === 'GET' && pathname === '/__sim/dan-cu') {
        const id = query.get('soDinhDanh') ?? '';
        if (!/^[0-9]{12}$/.test(id)) throw new PopulationInputError('soDinhDanh phải là số định danh 12 chữ số');
        return ok(matching.population(id));
      }
      if (method === 'POST' && pathname === '/__sim/dan-cu') return ok(matching.setPopulation(parsePopulationChange(parseBody())));
      if (method === 'POST' && pathname === '/__sim/doi-soat/run') {
        const input = parseBody() as { ngay?: unknown } | null;
        if (input?.ngay !== undefined && typeof input.ngay !== 'string') throw new MatchingInputError('ngay phải là ngày dạng YYYY-MM-DD');
        return ok(await matching.run({ ngay: input?.ngay }));
      }
      if (method === 'POST' && (pathname === '/__sim/faults' || pathname === '/__sim/reset')) {
        const input = parseBody() as Record<string, unknown>;
        let next: FaultSet;
        let wipeData = false;
        if (pathname === '/__sim/faults') next = parseFaults(input);
        else {
          next = {};
          wipeData = input?.data === true;
        }
        if (wipeData) store.wipe();
        faults.set(next);
        if (!apiListener) {
          // The control listener is not affected by "down": answer once the change took effect.
          await applyDown();
          return ok(faults.snapshot());
        }
        // On the API listener, answer first: going down closes every connection, this one included.
        res.once('finish', () => void applyDown().catch((err) => log.error('Giả lập CSDL quốc gia: không đổi được lỗi giả lập', { err })));
        return ok(faults.snapshot());
      }
      return sendLoi(res, 404, loi('KHONG_TIM_THAY_DUONG_DAN'));
    } catch (err) {
      const known = err instanceof FaultError || err instanceof PopulationInputError || err instanceof MatchingInputError;
      const message = known ? err.message : err instanceof SyntaxError ? 'Nội dung không phải JSON hợp lệ' : String(err);
      return send(res, 400, JSON.stringify({ ma: 'LOI_GIA_LAP_KHONG_HOP_LE', moTa: message }));
    }
  }

  function stats(opts: { summary?: boolean } = {}): CentralSimStats {
    const c = store.allCounters();
    const pick = (prefix: string) => {
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(c)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
      return out;
    };
    const n = (name: string) => c[name] ?? 0;
    const sizes = store.sizes();
    const reconciliation = store.reconciliationSizes();
    const result: CentralSimStats = {
      startedAt,
      dataFile: store.file,
      requests: { total: n('requests.total'), byStatus: pick('status.'), byOperation: pick('op.'), tlsRefused: n('requests.tlsRefused'), tlsConnections: n('requests.tlsConnections') },
      profiles: {
        stored: sizes.profiles,
        created: n('profiles.created'),
        updated: n('profiles.updated'),
        unchanged: n('profiles.unchanged'),
        stale: n('profiles.stale'),
        invalid: n('profiles.invalid'),
        signatureFailures: n('profiles.signatureFailures'),
      },
      units: {
        stored: sizes.units,
        created: n('units.created'),
        updated: n('units.updated'),
        unchanged: n('units.unchanged'),
        stale: n('units.stale'),
        invalid: n('units.invalid'),
      },
      applied: n('applied.profiles') + n('applied.units'),
      idempotency: { keys: sizes.keys, replays: n('idempotency.replays'), conflicts: n('idempotency.conflicts') },
      faultsInjected: pick('faults.'),
      doiSoat: {
        runs: n('doiSoat.runs'),
        results: reconciliation.results,
        byKetQua: { KHOP: n('doiSoat.KHOP'), KHONG_KHOP: n('doiSoat.KHONG_KHOP'), KHONG_TIM_THAY: n('doiSoat.KHONG_TIM_THAY') },
        danCu: reconciliation.population,
      },
      duplicatesApplied: store.duplicatesApplied(),
    };
    if (!opts.summary) {
      result.appliedBySoDinhDanh = store.appliedBy('profile');
      result.appliedByMaDinhDanh = store.appliedBy('unit');
    }
    return result;
  }

  // ---- start --------------------------------------------------------------------------------
  let controlUrl: string | undefined;
  try {
    if (faults.down?.mode !== 'refuse') {
      boundPort = await listen(server, wantedPort, host);
      listening = true;
    } else if (wantedPort === 0) {
      // Starting "down" on an ephemeral port: reserve one so the URL is known, then close it.
      boundPort = await listen(server, 0, host);
      listening = true;
      await closeListener();
    }
    await applyDown();
    if (control) {
      const c = splitHostPort(options.controlListen || '127.0.0.1:0');
      const controlPort = await listen(control, c.port, c.host);
      controlUrl = `http://${urlHost(c.host)}:${controlPort}`;
    }
  } catch (err) {
    await matching.stop();
    store.close();
    server.close();
    control?.close();
    throw err;
  }
  matching.start();
  const url = `https://${urlHost(host)}:${boundPort}`;
  log.info('Giả lập CSDL quốc gia đang chạy', { url, controlUrl, dataFile: store.file });

  return {
    url,
    port: boundPort,
    controlUrl,
    dataDir,
    stats,
    faults: () => faults.snapshot(),
    setFaults,
    resetFaults: () => setFaults({}),
    wipe: (options) => store.wipe(options),
    journal: (query = {}) => store.journalEntries(query),
    runMatching: (input = {}) => matching.run(input),
    setPopulation: (input) => matching.setPopulation(parsePopulationChange(input)),
    population: (soDinhDanh) => matching.population(soDinhDanh),
    async close() {
      if (closing) return;
      closing = true;
      clearTimeout(downTimer);
      await lifecycle.catch(() => undefined);
      await closeListener(2000);
      if (control) {
        await new Promise<void>((resolve) => {
          control!.close(() => resolve());
          control!.closeAllConnections();
        });
      }
      await matching.stop();
      store.close();
    },
  };
}

const normalizeSerial = (serial: string) => serial.replace(/:/g, '').toUpperCase().replace(/^0+(?=.)/, '');

/** A per-connection check of the caller's certificate against the allowed list (cached per socket). */
function allowedCallerCheck(allowed: CentralSimOptions['allowedClients']): ((socket: TLSSocket) => boolean) | undefined {
  if (!allowed) return undefined;
  const serials = new Set((allowed.serials ?? []).map(normalizeSerial));
  const names = new Set(allowed.commonNames ?? []);
  const verdicts = new WeakMap<TLSSocket, boolean>();
  return (socket) => {
    let ok = verdicts.get(socket);
    if (ok === undefined) {
      const peer = socket.getPeerCertificate();
      const cn = peer?.subject?.CN;
      ok = (!!peer?.serialNumber && serials.has(normalizeSerial(peer.serialNumber))) || (typeof cn === 'string' && names.has(cn));
      verdicts.set(socket, ok);
    }
    return ok;
  };
}

/**
 * OpenSSL only reads CRLs labelled "X509 CRL" (RFC 7468); some encoders write "CRL". Accept both
 * rather than fail the whole listener on a label.
 */
function pemCrls(crl: string | string[] | undefined): string[] | undefined {
  if (!crl) return undefined;
  return (Array.isArray(crl) ? crl : [crl]).map((pem) => pem.replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----'));
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export type { Operation };
