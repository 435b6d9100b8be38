/**
 * Structured logs: one JSON object per line on stderr. Callers pass fields, never secrets: key
 * secrets, private keys and record bodies are not logged anywhere in the gateway.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export function createLogger(base: Record<string, unknown> = {}, level: Level = (process.env.NDXP_LOG_LEVEL as Level) || 'info'): Logger {
  const min = ORDER[level] ?? ORDER.info;
  const write = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < min) return;
    const entry: Record<string, unknown> = { t: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    if (fields?.err instanceof Error) entry.err = { message: fields.err.message, code: (fields.err as NodeJS.ErrnoException).code };
    process.stderr.write(JSON.stringify(entry) + '\n');
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...base, ...fields }, level),
  };
}

/** For CLI commands and tests: logs nothing below warn. */
export const quietLogger = (): Logger => createLogger({}, 'warn');
