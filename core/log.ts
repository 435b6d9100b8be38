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
  const root = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level as its name ("warn"), not pino's number: what an operator greps for.
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
  return wrap(Object.keys(base).length ? root.child(base) : root);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, fields) => (fields ? p.debug(fields, msg) : p.debug(msg)),
    info: (msg, fields) => (fields ? p.info(fields, msg) : p.info(msg)),
    warn: (msg, fields) => (fields ? p.warn(fields, msg) : p.warn(msg)),
    error: (msg, fields) => (fields ? p.error(fields, msg) : p.error(msg)),
    child: (fields) => wrap(p.child(fields)),
    enabled: (level) => p.isLevelEnabled(level),
  };
}

/** For CLI commands and tests: logs nothing below warn. */
export const quietLogger = (): Logger => createLogger({}, 'warn');
