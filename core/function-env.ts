/**
 * The environment variables each function receives (core/functions.ts describes each function
 * with them). Settings travel under their own variables from core/config.ts, so the handlers read
 * them back with `resolveConfig({ env: process.env })`; resources under RESOURCE_ENV, read with
 * `requireEnv`.
 */
import { knobEnv, type AlignerConfig } from "./config.ts";
import { MAFFT_LAYER_ROOT, MAFFT_ROOT_ENV } from "./mafft-layer.ts";
import { FUNCTION_SOURCES } from "./names.ts";

/** Variables that name resources (their values are only known after deploy). */
export const RESOURCE_ENV = {
  inputBucket: "ALIGNER_INPUT_BUCKET",
  outputBucket: "ALIGNER_OUTPUT_BUCKET",
  jobsTable: "ALIGNER_JOBS_TABLE",
} as const;

export interface AlignerResources {
  inputBucket: string;
  outputBucket: string;
}
export interface ProcessorResources {
  jobsTable: string;
}

export function alignerEnvironment(config: AlignerConfig, resources: AlignerResources): Record<string, string> {
  return {
    [RESOURCE_ENV.inputBucket]: resources.inputBucket,
    [RESOURCE_ENV.outputBucket]: resources.outputBucket,
    [knobEnv("input.maxBytes")]: String(config.input.maxBytes),
    [knobEnv("mafft.defaultArgs")]: config.mafft.defaultArgs.join(" "),
    [knobEnv("mafft.killMarginMs")]: String(config.mafft.killMarginMs),
    // The runner derives MAFFT_BINARIES, PATH and MAFFT_TMPDIR for MAFFT from this one root.
    [MAFFT_ROOT_ENV]: MAFFT_LAYER_ROOT,
    TMPDIR: "/tmp",
    POWERTOOLS_SERVICE_NAME: FUNCTION_SOURCES.aligner.serviceName,
    NODE_OPTIONS: "--enable-source-maps",
  };
}

export function processorEnvironment(config: AlignerConfig, resources: ProcessorResources): Record<string, string> {
  return {
    [RESOURCE_ENV.jobsTable]: resources.jobsTable,
    [knobEnv("processor.writeConcurrency")]: String(config.processor.writeConcurrency),
    [knobEnv("recordTtlDays")]: String(config.recordTtlDays),
    POWERTOOLS_SERVICE_NAME: FUNCTION_SOURCES.logProcessor.serviceName,
    NODE_OPTIONS: "--enable-source-maps",
  };
}

export class MissingEnvironmentError extends Error {
  override name = "MissingEnvironmentError";
}

/** Reads a resource variable or fails with a sentence naming it. */
export function requireEnv(env: Record<string, string | undefined>, name: string): string {
  const v = env[name];
  if (v === undefined || v === "") throw new MissingEnvironmentError(`environment variable ${name} is not set`);
  return v;
}

/** Set by the embedded local cloud only; in AWS they are absent. */
export const LOCAL_ENV = {
  /** s3rver serves buckets by path, not by virtual host. */
  s3ForcePathStyle: "ALIGNER_S3_FORCE_PATH_STYLE",
} as const;

/** The SDK's own per-service endpoint variables (AWS SDK v3 reads them natively). */
export const SDK_ENDPOINT_ENV = {
  s3: "AWS_ENDPOINT_URL_S3",
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  logs: "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
} as const;
