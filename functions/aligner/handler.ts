/**
 * The aligner Lambda: S3 ObjectCreated event → validated FASTA → MAFFT (from its layer) → alignment
 * in the output bucket, with structured job events for the log processor.
 *
 * Used by: the stack (bundled by `infra/bundle.ts` `bundleFunction("aligner")`, handler
 * `index.handler`) and the local cloud, which runs the same bundle in its Lambda environments with
 * `alignerEnvironment(...)` plus the SDK's endpoint variables. It relies only on the documented
 * context (`awsRequestId`, `getRemainingTimeInMillis()`, `functionName`, `memoryLimitInMB`, ...).
 *
 * Environment: ALIGNER_INPUT_BUCKET, ALIGNER_OUTPUT_BUCKET, the `ALIGNER_*` knobs of
 * `core/config.ts` (input size limit, default MAFFT arguments, kill margin), ALIGNER_MAFFT_ROOT
 * (the layer, default /opt/mafft), TMPDIR (scratch root, default /tmp).
 */
import { tmpdir } from "node:os";
import { Logger } from "@aws-lambda-powertools/logger";
import type { Context, S3Event } from "aws-lambda";
import { knobEnv, resolveConfig } from "../../core/config.ts";
import { RESOURCE_ENV, requireEnv } from "../../core/function-env.ts";
import { formatMafftArgs, validateMafftArgs } from "../../core/mafft-args.ts";
import { mafftRootFrom } from "../../core/mafft-layer.ts";
import { FUNCTION_SOURCES } from "../../core/names.ts";
import { s3Client } from "../../aws/clients.ts";
import { createAligner, type AlignerHandler } from "./aligner.ts";

const logger = new Logger({ serviceName: FUNCTION_SOURCES.aligner.serviceName });

let aligner: AlignerHandler | undefined;

/** Built on first use (not at import), so a configuration error reads as a failed invocation with a clear message. */
function getAligner(): AlignerHandler {
  if (aligner === undefined) {
    const env = process.env;
    const config = resolveConfig({ env });
    const defaults = validateMafftArgs(config.mafft.defaultArgs);
    if (!defaults.ok)
      throw new Error(
        `${knobEnv("mafft.defaultArgs")} '${formatMafftArgs(config.mafft.defaultArgs)}' is not allowed: ${defaults.reason}`,
      );
    aligner = createAligner({
      s3: s3Client({ env }),
      logger,
      settings: {
        inputBucket: requireEnv(env, RESOURCE_ENV.inputBucket),
        outputBucket: requireEnv(env, RESOURCE_ENV.outputBucket),
        maxInputBytes: config.input.maxBytes,
        defaultArgs: defaults.args,
        killMarginMs: config.mafft.killMarginMs,
      },
      mafftRoot: mafftRootFrom(env),
      tmpDir: () => tmpdir(),
      basePath: env["PATH"],
    });
  }
  return aligner;
}

export const handler = async (event: S3Event, context: Context): Promise<void> => {
  await getAligner()(event, context);
};
