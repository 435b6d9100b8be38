/**
 * The central database's daily matching of every stored record against the National Population
 * Database (contract 1.1): the simulator's population register (population.ts), kept in its own
 * SQLite file, and the run that publishes one result per record and day, on a schedule or on
 * demand (`POST /__sim/doi-soat/run`).
 *
 * A register entry is fixed the first time it is needed, derived from the record as stored then
 * (or given by the control API), and persisted: a unit that corrects its record to what the
 * register holds sees KHOP at the next day's matching, which is the loop the contract closes.
 * A run reads the records in chunks, each published in one transaction, so that a large store
 * does not stall the API for the length of the whole run.
 */
import type { Logger } from '../core/log.js';
import {
  deriveCitizen,
  matchRecord,
  checkPopulationOptions,
  type Citizen,
  type KetQuaDoiSoat,
  type MismatchKind,
  type PopulationChange,
  type PopulationOptions,
} from './population.js';
import type { SimStore } from './store.js';

export interface MatchingOptions {
  /** Time of the daily run, HH:MM in Vietnam time (UTC+7); false: no daily run. Default '01:00'. */
  dailyAt?: string | false;
  /** Also run every so many milliseconds (demos and tests of the schedule). Default: never. */
  everyMs?: number;
}

/** What `POST /__sim/doi-soat/run` answers. */
export interface MatchingRunCounts {
  ngayDoiSoat: string;
  /** Results published by this run. */
  doiSoat: number;
  khop: number;
  khongKhop: number;
  khongTimThay: number;
  /** Records skipped: they already have a result for that day (one result per record and day). */
  boQua: number;
  /** maKetQua of the first and last result this run published. */
  maKetQuaDau?: string;
  maKetQuaCuoi?: string;
}

export interface PopulationEntry {
  soDinhDanh: string;
  /** null: the register has no entry and the simulator stores no record to derive one from. */
  nguon: 'derived' | 'set' | 'deleted' | null;
  congDan: Citizen | null;
  kieuLech?: MismatchKind;
}

export class MatchingInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MatchingInputError';
  }
}

const CHUNK = 1000;
const VIETNAM_OFFSET_MS = 7 * 3600_000;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** maKetQua: opaque to clients; here a fixed-width sequence, so that string order is publication order. */
export function formatMaKetQua(seq: number): string {
  return `KQ${String(seq).padStart(12, '0')}`;
}

export function parseMaKetQua(value: string): number | undefined {
  const m = /^KQ(\d{12})$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

/** Today's date in Vietnam (the day a run at this instant matches for). */
export function vietnamDate(at = Date.now()): string {
  return new Date(at + VIETNAM_OFFSET_MS).toISOString().slice(0, 10);
}

function validDay(day: string): boolean {
  const m = DAY.exec(day);
  if (!m) return false;
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

/** Milliseconds from `now` to the next HH:MM in Vietnam time. */
export function msUntilDaily(at: string, now = Date.now()): number {
  const [h, m] = at.split(':').map(Number);
  const dayStartVn = Math.floor((now + VIETNAM_OFFSET_MS) / 86_400_000) * 86_400_000 - VIETNAM_OFFSET_MS;
  let next = dayStartVn + (h * 60 + m) * 60_000;
  if (next <= now) next += 86_400_000;
  return next - now;
}

export function checkMatchingOptions(options: MatchingOptions = {}): MatchingOptions {
  const dailyAt = options.dailyAt ?? '01:00';
  if (dailyAt !== false && !/^([01]\d|2[0-3]):[0-5]\d$/.test(dailyAt)) throw new MatchingInputError('matching.dailyAt phải có dạng HH:MM (giờ Việt Nam) hoặc false');
  if (options.everyMs !== undefined && !(Number.isInteger(options.everyMs) && options.everyMs > 0)) {
    throw new MatchingInputError('matching.everyMs phải là số mili giây dương');
  }
  return { dailyAt, everyMs: options.everyMs };
}

export function createMatching(store: SimStore, options: { population?: PopulationOptions; matching?: MatchingOptions; log: Logger }) {
  const population = checkPopulationOptions(options.population);
  const schedule = checkMatchingOptions(options.matching);
  const { log } = options;
  let chain: Promise<unknown> = Promise.resolve();
  let stopping = false;
  let dailyTimer: NodeJS.Timeout | undefined;
  let everyTimer: NodeJS.Timeout | undefined;

  /** The register's entry for an id; derived from the record (and persisted) the first time. */
  function citizenFor(soDinhDanh: string, record: Record<string, unknown> & { soDinhDanh: string }, now: number): Citizen | null {
    const row = store.getPopulation(soDinhDanh);
    if (row) return row.congDan ? (JSON.parse(row.congDan) as Citizen) : null;
    const derived = deriveCitizen(record, population);
    store.putPopulation({ soDinhDanh, nguon: 'derived', congDan: derived.congDan && JSON.stringify(derived.congDan), kieuLech: derived.kieuLech ?? null }, now);
    return derived.congDan;
  }

  async function runNow(day: string): Promise<MatchingRunCounts> {
    const latest = store.latestMatchingDay();
    if (latest && day < latest) throw new MatchingInputError(`Ngày đối soát ${day} trước ngày đã đối soát gần nhất (${latest})`);
    const counts: MatchingRunCounts = { ngayDoiSoat: day, doiSoat: 0, khop: 0, khongKhop: 0, khongTimThay: 0, boQua: 0 };
    const field: Record<KetQuaDoiSoat, 'khop' | 'khongKhop' | 'khongTimThay'> = { KHOP: 'khop', KHONG_KHOP: 'khongKhop', KHONG_TIM_THAY: 'khongTimThay' };
    let after = '';
    for (;;) {
      const now = Date.now();
      const read = store.transaction(() => {
        const chunk = store.profilesAfter(after, CHUNK);
        for (const p of chunk) {
          if (store.lastMatchingDay(p.soDinhDanh) === day) {
            counts.boQua += 1;
            continue;
          }
          const record = JSON.parse(p.body) as Record<string, unknown> & { soDinhDanh: string };
          const { ketQua, chenhLech } = matchRecord(record, citizenFor(p.soDinhDanh, record, now));
          const seq = store.insertMatching(
            {
              soDinhDanh: p.soDinhDanh,
              maDonVi: p.maDonVi,
              ngayDoiSoat: day,
              phienBan: p.ngayCapNhat,
              versionKey: p.versionKey,
              ketQua,
              chenhLech: chenhLech ? JSON.stringify(chenhLech) : null,
            },
            now,
          );
          counts.doiSoat += 1;
          counts[field[ketQua]] += 1;
          counts.maKetQuaDau ??= formatMaKetQua(seq);
          counts.maKetQuaCuoi = formatMaKetQua(seq);
          store.bump(`doiSoat.${ketQua}`);
        }
        return chunk;
      });
      if (read.length < CHUNK || stopping) break;
      after = read[read.length - 1].soDinhDanh;
      await new Promise((resolve) => setImmediate(resolve));
    }
    store.transaction(() => store.bump('doiSoat.runs'));
    log.info('Giả lập CSDL quốc gia: xong một lượt đối soát', { ...counts });
    return counts;
  }

  /** Runs one matching for `ngay` (default: today in Vietnam); runs never overlap. */
  function run(input: { ngay?: string } = {}): Promise<MatchingRunCounts> {
    const day = input.ngay ?? vietnamDate();
    if (!validDay(day)) return Promise.reject(new MatchingInputError('ngay phải là ngày hợp lệ dạng YYYY-MM-DD'));
    const next = chain.then(() => runNow(day));
    chain = next.catch(() => undefined);
    return next;
  }

  function scheduled() {
    if (stopping) return;
    run().catch((err: unknown) => log.error('Giả lập CSDL quốc gia: lượt đối soát theo lịch thất bại', { err }));
  }

  function armDaily() {
    if (schedule.dailyAt === false || stopping) return;
    dailyTimer = setTimeout(() => {
      scheduled();
      armDaily();
    }, msUntilDaily(schedule.dailyAt!));
    dailyTimer.unref();
  }

  return {
    run,
    start() {
      armDaily();
      if (schedule.everyMs) {
        everyTimer = setInterval(scheduled, schedule.everyMs);
        everyTimer.unref();
      }
    },
    /** Stops the schedule and waits for a run in progress (it ends after its current chunk). */
    async stop() {
      stopping = true;
      clearTimeout(dailyTimer);
      clearInterval(everyTimer);
      await chain;
    },

    /** The register's entry for an id (derived from the stored record, and kept, if there is none yet). */
    population(soDinhDanh: string): PopulationEntry {
      let row = store.getPopulation(soDinhDanh);
      if (!row) {
        const stored = store.getProfile(soDinhDanh);
        if (!stored) return { soDinhDanh, nguon: null, congDan: null };
        store.transaction(() => citizenFor(soDinhDanh, JSON.parse(stored.body) as Record<string, unknown> & { soDinhDanh: string }, Date.now()));
        row = store.getPopulation(soDinhDanh)!;
      }
      return {
        soDinhDanh,
        nguon: row.nguon,
        congDan: row.congDan ? (JSON.parse(row.congDan) as Citizen) : null,
        ...(row.kieuLech ? { kieuLech: row.kieuLech as MismatchKind } : {}),
      };
    },

    /** Sets or replaces entries, and makes ids unknown; published results do not change. */
    setPopulation(change: PopulationChange): { daDat: number; daXoa: number } {
      const now = Date.now();
      store.transaction(() => {
        for (const c of change.set) store.putPopulation({ soDinhDanh: c.soDinhDanh, nguon: 'set', congDan: JSON.stringify(c), kieuLech: null }, now);
        for (const id of change.remove) store.putPopulation({ soDinhDanh: id, nguon: 'deleted', congDan: null, kieuLech: null }, now);
      });
      return { daDat: change.set.length, daXoa: change.remove.length };
    },
  };
}

export type Matching = ReturnType<typeof createMatching>;
