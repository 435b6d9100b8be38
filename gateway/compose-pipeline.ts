/**
 * A request pipeline with the services its stages use — key validator and token service, abuse
 * guard, unit directory, record preparer (re-mapping and signing) — composed in one place for
 * both of its users: the data plane (runtime.ts) and the Excel door (excel/door.ts), which posts
 * a workbook's rows through the very same routes from a process without a data plane.
 */
import type { AppContext } from '../core/context.js';
import { deriveSecret } from '../core/secrets.js';
import { createUnitSigner } from '../certs/signer.js';
import type { CertWatcher } from '../certs/watch.js';
import { createTokenService, type TokenService } from './keys/bearer.js';
import { createKeyValidator } from './keys/validator.js';
import { createKeyCheck } from './pipeline/key-check.js';
import type { Delivery } from './delivery/types.js';
import type { MismatchWarnings } from './doi-soat/warnings.js';
import type { PassThrough, RecordPreparer } from './pipeline/ports.js';
import { createPreparer } from './pipeline/preparer.js';
import { buildRoutes, createPipeline, type Pipeline } from './pipeline/routes.js';
import { createRateLimiter, type RateLimiter } from './ratelimit/index.js';
import { createUnitDirectory } from './units/directory.js';

export interface PipelineInputs {
  certs: CertWatcher;
  delivery: Delivery;
  passThrough: PassThrough;
  /** The address WSDL documents name. */
  publicUrl(): string;
  mismatches?: MismatchWarnings;
  /** The process's rate limiter, when it has one (the admin plane shares it); else one is made and closed with the pipeline. */
  limiter?: RateLimiter;
}

export interface ComposedPipeline {
  pipeline: Pipeline;
  preparer: RecordPreparer;
  tokens: TokenService;
  /** Stops what the composition started (not the inputs it was given). */
  close(): Promise<void>;
}

export async function composePipeline(ctx: AppContext, inputs: PipelineInputs): Promise<ComposedPipeline> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const fn of closers.reverse()) await Promise.resolve(fn()).catch((err) => ctx.log.warn('Lỗi khi đóng', { err: err as Error }));
  };
  try {
    const validator = await createKeyValidator(ctx);
    closers.push(() => validator.stop());
    const limiter = inputs.limiter ?? createRateLimiter(ctx);
    if (!inputs.limiter) closers.push(() => limiter.close());
    const directory = await createUnitDirectory(ctx);
    closers.push(() => directory.stop());
    const tokens = createTokenService(deriveSecret(ctx.config, 'access-token'));
    const preparer = createPreparer(directory, createUnitSigner(ctx, inputs.certs));
    const pipeline = createPipeline(
      ctx,
      buildRoutes({
        ctx,
        certs: inputs.certs,
        keys: createKeyCheck(validator, tokens),
        guard: limiter,
        tokens,
        delivery: inputs.delivery,
        preparer,
        mismatches: inputs.mismatches,
        passThrough: inputs.passThrough,
        publicUrl: inputs.publicUrl,
      }),
    );
    return { pipeline, preparer, tokens, close };
  } catch (err) {
    await close();
    throw err;
  }
}
