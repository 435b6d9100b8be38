/**
 * A sender process of the national synchronisation benchmark (forked by bench/national.ts): it
 * plays the legacy software of some provinces, generating their records deterministically and
 * sending them through the vendor fronts in batches, several calls in flight, as fast as the
 * gateway answers. A call refused as a whole (503, rate limit, fault) is retried after the wait
 * the gateway asked for, like a patient client. Every record's outcome as the gateway reported it
 * is sent back (accepted = synchronised or queued; invalid; other).
 */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { buildCountry, generateRecord, provinceOf, rngFor, vendorAListRequest, vendorBRequest, type GeneratedRecord } from './lib/national-gen.js';

export interface SenderProvince {
  index: number;
  key: string;
  softwareId: string;
  sendingUnit: string;
  vendor: 'vendor-a-asmx' | 'vendor-b-jaxws';
  encoding: 'unicode' | 'tcvn3';
  certFile: string;
  keyFile: string;
}

export interface SenderJob {
  url: string;
  ca: string;
  seed: number;
  total: number;
  invalidRate: number;
  batch: number;
  concurrency: number;
  provinces: SenderProvince[];
  oldCodes3: string[];
}

export const OUTCOME = { NONE: 0, ACCEPTED: 1, INVALID: 2, STALE: 3, ERROR: 4 } as const;

export interface SenderResult {
  calls: number;
  retries: number;
  records: number;
  accepted: number;
  invalid: number;
  other: number;
  /** Records invalid on purpose that the gateway accepted, and valid ones it refused (both should be 0). */
  surprises: { acceptedInvalid: number; refusedValid: number; samples: string[]; refusedValidReasons: Record<string, number> };
  /** Why whole calls were retried: HTTP status (0 = connection error) → count. */
  retryReasons: Record<string, number>;
  /** One byte per record index (OUTCOME), base64; only this sender's records are set. */
  outcomes: string;
  tcvn3Records: number;
  cpuSeconds: number;
}

async function run(job: SenderJob): Promise<SenderResult> {
  const cpu0 = process.cpuUsage();
  const country = buildCountry();
  const mine = new Map(job.provinces.map((p) => [p.index, p]));
  const ca = readFileSync(job.ca);
  const agents = new Map(
    job.provinces.map((p) => [
      p.index,
      new https.Agent({ keepAlive: true, maxSockets: job.concurrency, cert: readFileSync(p.certFile), key: readFileSync(p.keyFile), ca, servername: 'localhost' }),
    ]),
  );
  const outcomes = new Uint8Array(job.total);
  const url = new URL(job.url);
  const result: SenderResult = { calls: 0, retries: 0, records: 0, accepted: 0, invalid: 0, other: 0, surprises: { acceptedInvalid: 0, refusedValid: 0, samples: [], refusedValidReasons: {} }, retryReasons: {}, outcomes: '', tcvn3Records: 0, cpuSeconds: 0 };
  let inFlight = 0;
  let wake: (() => void) | undefined;
  let sentRecords = 0;
  const progress = setInterval(() => process.send?.({ progress: sentRecords }), 1000);

  const post = (p: SenderProvince, path: string, headers: Record<string, string>, body: string) =>
    new Promise<{ status: number; text: string; retryAfter?: number }>((resolve, reject) => {
      let settled = false;
      const req = https.request({ host: url.hostname, port: url.port, path, method: 'POST', agent: agents.get(p.index), headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (s: string) => (text += s));
        res.on('end', () => {
          settled = true;
          resolve({ status: res.statusCode ?? 0, text, retryAfter: Number(res.headers['retry-after']) || undefined });
        });
        res.on('error', (err) => !settled && ((settled = true), reject(err)));
      });
      req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
      req.on('error', (err) => !settled && ((settled = true), reject(err)));
      // A connection reset in the middle of the answer emits no 'end'.
      req.on('close', () => setImmediate(() => !settled && ((settled = true), reject(new Error('connection closed before the answer')))));
      req.end(body);
    });

  const note = (r: GeneratedRecord, status: number, message: string) => {
    outcomes[r.i] = status;
    if (status === OUTCOME.ACCEPTED) result.accepted++;
    else if (status === OUTCOME.INVALID) result.invalid++;
    else result.other++;
    if (status === OUTCOME.ACCEPTED && r.invalid) result.surprises.acceptedInvalid++;
    if (status !== OUTCOME.ACCEPTED && !r.invalid) {
      result.surprises.refusedValid++;
      const reason = (/<MoTa>([^<]*)<\/MoTa>/.exec(message) ?? /<message>([^<]*)<\/message>/.exec(message))?.[1] ?? message.slice(0, 120);
      const fieldName = (/<Truong>([^<]*)<\/Truong>/.exec(message) ?? /<field>([^<]*)<\/field>/.exec(message))?.[1];
      const k = `${fieldName ? `${fieldName}: ` : ''}${reason}`.replace(/[0-9]{6,}/g, '…').replace(/\[\d+\]/g, '[i]');
      result.surprises.refusedValidReasons[k] = (result.surprises.refusedValidReasons[k] ?? 0) + 1;
      if (result.surprises.samples.length < 10) result.surprises.samples.push(`record ${r.i} (${r.province.vendor}): ${message.slice(0, 600)}`);
    }
  };

  const send = async (p: SenderProvince, records: GeneratedRecord[]) => {
    const batchId = `NAT-${p.index}-${records[0].i}`;
    for (let attempt = 0; ; attempt++) {
      // Vendor B's WS-Security timestamp must be fresh: the body is rebuilt on every attempt.
      const isA = p.vendor === 'vendor-a-asmx';
      const body = isA ? vendorAListRequest(p.key, p.sendingUnit, records, p.encoding) : vendorBRequest(p.key, p.softwareId, p.sendingUnit, batchId, records);
      const headers: Record<string, string> = isA
        ? { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/DongBoDanhSachHoSo"' }
        : { 'content-type': 'application/soap+xml; charset=UTF-8; action="urn:submitRecords"' };
      let res: { status: number; text: string; retryAfter?: number };
      try {
        res = await post(p, isA ? '/QLCBService.asmx' : '/hrm/sync/v2', headers, body);
      } catch (err) {
        res = { status: 0, text: (err as Error).message };
      }
      result.calls++;
      const codes = isA ? [...res.text.matchAll(/<MaKetQua>(\d)<\/MaKetQua>/g)].map((m) => Number(m[1])) : [...res.text.matchAll(/<status>([A-Z]+)<\/status>/g)].map((m) => m[1]);
      if (res.status === 200 && codes.length === records.length) {
        // Per-record messages, in order, for the first surprises.
        const chunks = isA ? res.text.split('<KetQuaDongBo>').slice(1) : res.text.split('<result>').slice(1);
        records.forEach((r, k) => {
          const c = codes[k];
          const status = isA
            ? c === 0 || c === 1 ? OUTCOME.ACCEPTED : c === 2 ? OUTCOME.INVALID : c === 3 ? OUTCOME.STALE : OUTCOME.ERROR
            : c === 'SYNCED' || c === 'QUEUED' ? OUTCOME.ACCEPTED : c === 'INVALID' ? OUTCOME.INVALID : c === 'STALE' ? OUTCOME.STALE : OUTCOME.ERROR;
          note(r, status, chunks[k] ?? '');
        });
        return;
      }
      if (attempt >= 50) {
        for (const r of records) note(r, OUTCOME.ERROR, `call failed ${res.status}: ${res.text.slice(0, 300)}`);
        return;
      }
      result.retries++;
      result.retryReasons[String(res.status)] = (result.retryReasons[String(res.status)] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, Math.min(30, res.retryAfter ?? 1) * 1000));
    }
  };

  const buffers = new Map<number, GeneratedRecord[]>();
  const dispatch = async (p: SenderProvince, records: GeneratedRecord[]) => {
    while (inFlight >= job.concurrency) await new Promise<void>((r) => (wake = r));
    inFlight++;
    sentRecords += records.length;
    void send(p, records).finally(() => {
      inFlight--;
      const w = wake;
      wake = undefined;
      w?.();
    });
  };

  for (let i = 0; i < job.total; i++) {
    const province = provinceOf(country, rngFor(job.seed, i));
    const p = mine.get(province.index);
    if (!p) continue;
    const r = generateRecord(country, job.seed, i, job.invalidRate, job.oldCodes3);
    result.records++;
    if (p.encoding === 'tcvn3') result.tcvn3Records++;
    const buf = buffers.get(p.index) ?? [];
    buf.push(r);
    if (buf.length >= job.batch) {
      buffers.delete(p.index);
      await dispatch(p, buf);
    } else buffers.set(p.index, buf);
  }
  for (const [index, buf] of buffers) if (buf.length) await dispatch(mine.get(index)!, buf);
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  clearInterval(progress);
  process.send?.({ progress: sentRecords });
  for (const a of agents.values()) a.destroy();
  const cpu = process.cpuUsage(cpu0);
  result.cpuSeconds = (cpu.user + cpu.system) / 1e6;
  result.outcomes = Buffer.from(outcomes).toString('base64');
  return result;
}

if (process.send) {
  process.once('message', (job: SenderJob) => {
    run(job)
      .then((result) => process.send!({ result }, () => process.exit(0)))
      .catch((err: Error) => process.send!({ error: err.stack ?? err.message }, () => process.exit(1)));
  });
}
