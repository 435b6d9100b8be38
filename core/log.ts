/**
 * Structured logs through pino: one JSON object per line on stderr (stdout belongs to the CLI's
 * answers and `--json` documents). Keys are stable English names (`requestId`, `code`, `keyId`);
 * the `msg` is Vietnamese, for the operator reading it. Callers pass fields, never secrets — and
 * in case one slips through, the paths in REDACT_PATHS are replaced by pino before a line is
 * written (connection keys, passwords, private keys, bearer tokens).
 *
 * `NDXP_LOG_LEVEL` (debug, info, warn, error) sets the level; below it a call costs one level
 * comparison, so hot-path callers check `enabled(level)` before building a field object.
 */
import pino from 'pino';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether a line at this level would be written (skip building fields otherwise). */
  enabled(level: Level): boolean;
}

/** Where lines go: anything with write(line). Tests pass their own to read the lines back. */
export interface LogDestination {
  write(line: string): void;
}

/**
 * Field paths whose values never reach a log line, at the top level and one object down
 * (`{ key: { connectionKey } }`), plus the request headers that carry credentials.
 */
const SECRET_FIELDS = [
  'connectionKey',
  'secret',
  'password',
  'passphrase',
  'privateKey',
  'privateKeyPem',
  'keyPem',
  'p12Password',
  'keyPassword',
  'token',
  'accessToken',
  'access_token',
  'bearer',
  'authorization',
  'clientSecret',
  'client_secret',
  'masterKey',
  'MaKetNoi',
];
export const REDACT_PATHS: readonly string[] = [
  ...SECRET_FIELDS,
  ...SECRET_FIELDS.map((f) => `*.${f}`),
  'headers.authorization',
  'headers["x-connection-key"]',
  'req.headers.authorization',
  'req.headers["x-connection-key"]',
  '*.headers.authorization',
  '*.headers["x-connection-key"]',
];
export const REDACTED = '[đã ẩn]';

/** The level from NDXP_LOG_LEVEL, or info when unset or not one of the four. */
export function envLevel(value = process.env.NDXP_LOG_LEVEL): Level {
  const v = value?.trim().toLowerCase() as Level | undefined;
  return v && LEVELS.includes(v) ? v : 'info';
}

const stderr: LogDestination = { write: (line) => void process.stderr.write(line) };

export function createLogger(base: Record<string, unknown> = {}, level: Level = envLevel(), destination: LogDestination = stderr): Logger {
  const options = (redact: boolean): pino.LoggerOptions => ({
    level,
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level as its name ("warn"), not pino's number: what an operator greps for.
    formatters: { level: (label) => ({ level: label }) },
    ...(redact ? { redact: { paths: [...REDACT_PATHS], censor: REDACTED } } : {}),
    serializers: { err: pino.stdSerializers.err },
  });
  const guarded = pino(options(true), destination);
  const plain = pino(options(false), destination);
  return Object.keys(base).length ? wrap(guarded, plain).child(base) : wrap(guarded, plain);
}

/**
 * Two pino loggers writing to one destination: `guarded` redacts REDACT_PATHS, `plain` does not.
 * pino's redaction walks every path for every value of every line (≈ 7 % of a pass-through
 * GET's CPU, for an access line that never holds a secret), so a line whose fields cannot reach
 * any of the paths (`cannotHoldSecret`) goes through `plain`, which writes the very same bytes
 * for it; anything else goes through `guarded`, as every line used to.
 */
function wrap(guarded: pino.Logger, plain: pino.Logger): Logger {
  const pick = (msg: string, fields: Record<string, unknown>) => (cannotHoldSecret(fields) && !SURROGATE.test(msg) ? plain : guarded);
  return {
    debug: (msg, fields) => (fields ? pick(msg, fields).debug(fields, msg) : pick(msg, {}).debug(msg)),
    info: (msg, fields) => (fields ? pick(msg, fields).info(fields, msg) : pick(msg, {}).info(msg)),
    warn: (msg, fields) => (fields ? pick(msg, fields).warn(fields, msg) : pick(msg, {}).warn(msg)),
    error: (msg, fields) => (fields ? pick(msg, fields).error(fields, msg) : pick(msg, {}).error(msg)),
    child: (fields) => {
      const g = guarded.child(fields);
      // Bindings that could hold a secret are written redacted by every line of the child.
      return wrap(g, cannotHoldSecret(fields) ? plain.child(fields) : g);
    },
    enabled: (level) => guarded.isLevelEnabled(level),
  };
}

const SECRET_KEYS = new Set<string>([...SECRET_FIELDS, 'x-connection-key']);
/**
 * A string pino writes differently with and without redaction: without, pino escapes short
 * strings itself and leaves a lone surrogate as it is; with, every value goes through
 * JSON.stringify, which escapes it. Strings with surrogates take the redacting path.
 */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * True when no path of REDACT_PATHS can reach a value of `fields`, judged conservatively: no
 * top-level key names a secret, and every value is a number, a boolean, undefined, a string
 * without surrogates, or a plain object or array (one level, no key naming a secret) of numbers,
 * booleans, strings and undefined. Anything else (an Error, null, deeper objects) is left to
 * pino's redaction.
 */
export function cannotHoldSecret(fields: Record<string, unknown>): boolean {
  for (const key in fields) {
    if (SECRET_KEYS.has(key)) return false;
    const v = fields[key];
    switch (typeof v) {
      case 'number':
      case 'boolean':
      case 'undefined':
        continue;
      case 'string':
        if (SURROGATE.test(v)) return false;
        continue;
      case 'object':
        if (v === null || !flatAndPlain(v)) return false;
        continue;
      default:
        return false;
    }
  }
  return true;
}

function flatAndPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null && !Array.isArray(v)) return false;
  for (const key in v) {
    if (SECRET_KEYS.has(key)) return false;
    const t = typeof (v as Record<string, unknown>)[key];
    if (t !== 'string' && t !== 'number' && t !== 'boolean' && t !== 'undefined') return false;
  }
  return true;
}

/** For CLI commands and tests: logs nothing below warn. */
export const quietLogger = (): Logger => createLogger({}, 'warn');
