/**
 * Opening the gateway's context for one CLI verb (config + store + audit trail), and always
 * closing it. Lives in gateway/ because building a context needs the audit trail; areas below
 * gateway/ (certs/) receive `runVerb` when they register their verbs.
 */
import type { Command } from 'commander';
import { closeContext, openContext } from '../context.js';
import type { AppContext } from '../../core/context.js';
import { quietLogger } from '../../core/log.js';
import { cliConfig, type CliHost, type CommonOptions, type VerbOptions, type VerbRunner } from '../../core/cli-output.js';

/** Opens config + store + audit trail for one CLI verb, and always closes them. */
export async function withContext<T>(options: CommonOptions, fn: (ctx: AppContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(cliConfig(options), { log: quietLogger() });
  try {
    return await fn(ctx);
  } finally {
    await closeContext(ctx);
  }
}

/**
 * Runs one verb with config + store + audit trail open. `translate` turns an area's own errors
 * into UsageError (exit 2) or CliFailure (exit 1); anything else propagates to main's mapping.
 */
export const runVerb: VerbRunner = async (
  cmd: Command,
  fn: (ctx: AppContext, opts: VerbOptions) => Promise<void>,
  translate: (err: unknown) => Error | undefined = () => undefined,
): Promise<void> => {
  const opts = cmd.optsWithGlobals() as VerbOptions;
  try {
    await withContext(opts, (ctx) => fn(ctx, opts));
  } catch (err) {
    throw translate(err) ?? err;
  }
};

/** What every area's `register(program, cli)` receives. */
export const cliHost: CliHost = { runVerb, withContext };
