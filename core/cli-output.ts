/**
 * How every CLI verb answers: with --json, exactly one JSON document on stdout; otherwise
 * readable text. Errors go to stderr in Vietnamese with their machine code; exit codes are
 * 0 ok, 1 failure, 2 bad usage.
 */
import { loadConfig, type Config } from '../config/config.js';
import { type AppContext } from './context.js';
import os from 'node:os';
import type { Command } from 'commander';

export interface CommonOptions {
  json?: boolean;
  config?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the operator can act on; printed without a stack trace, exit code 1. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

export function print(options: CommonOptions, json: unknown, text: string | string[]): void {
  if (options.json) process.stdout.write(JSON.stringify(json, null, 2) + '\n');
  else process.stdout.write((Array.isArray(text) ? text.join('\n') : text) + '\n');
}

/** A plain text table for listings. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(không có)';
  const cells = rows.map((r) => columns.map((c) => (r[c] === undefined || r[c] === null ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function cliConfig(options: CommonOptions): Config {
  return loadConfig({ file: options.config });
}

/** Who is acting, for the audit trail of admin actions done from the command line. */
export function cliActor(): string {
  let user = 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    /* no passwd entry in some containers */
  }
  return `cli:${user}@${os.hostname()}`;
}

export type VerbOptions = CommonOptions & Record<string, unknown>;

/**
 * Runs one verb with config + store + audit trail open (gateway/cli/verbs.ts builds the
 * context). An area outside gateway/ receives it at registration, so it never imports upward.
 * `translate` turns an area's own errors into UsageError (exit 2) or CliFailure (exit 1).
 */
export type VerbRunner = (
  cmd: Command,
  fn: (ctx: AppContext, opts: VerbOptions) => Promise<void>,
  translate?: (err: unknown) => Error | undefined,
) => Promise<void>;

/**
 * What the CLI gives each area when it registers its verbs: opening the gateway's context
 * needs the audit trail's implementation (gateway/), so areas receive it instead of importing
 * it, and no area imports the CLI that imports it.
 */
export interface CliHost {
  runVerb: VerbRunner;
  /** Opens config + store + audit trail for one verb, and always closes them. */
  withContext<T>(options: CommonOptions, fn: (ctx: AppContext) => Promise<T>): Promise<T>;
}
