/**
 * Names of everything, derived from the configured prefix. In AWS the buckets get a unique
 * suffix from S3 (`bucket_prefix`), so the real bucket names come from the stack outputs; the
 * local cloud uses the plain names below.
 */
import type { AlignerConfig } from "./config.ts";

export type FunctionId = "aligner" | "logProcessor";

export interface FunctionSource {
  /** TypeScript entry bundled by esbuild. */
  entry: string;
  /** Lambda handler string for the bundle (`index.mjs` exporting `handler`). */
  handler: string;
  /** Name suffix after the prefix. */
  suffix: string;
  /** Powertools' service name in its log lines (the handler's Logger and POWERTOOLS_SERVICE_NAME). */
  serviceName: string;
}

export const FUNCTION_SOURCES: Record<FunctionId, FunctionSource> = {
  aligner: {
    entry: "functions/aligner/handler.ts",
    handler: "index.handler",
    suffix: "aligner",
    serviceName: "aligner",
  },
  logProcessor: {
    entry: "functions/log-processor/handler.ts",
    handler: "index.handler",
    suffix: "log-processor",
    serviceName: "log-processor",
  },
};

/**
 * Both functions' runtime (the layer lists it as compatible). nodejs24.x: the pinned provider
 * (@cdktf/provider-aws 21.22 = hashicorp/aws 6.25.0) accepts it (supported since 6.20.0, whose
 * runtime list comes from aws-sdk-go-v2), and Powertools' docs list nodejs24.x for its own layer and
 * examples. The local runtime derives its reported version from this (local/lambda/runtime-bundle.ts).
 */
export const LAMBDA_RUNTIME = "nodejs24.x";
export const LAMBDA_ARCHITECTURE = "x86_64";

/**
 * How long a failure queue keeps an event a function gave up on: 14 days, SQS's longest. The stack
 * and the local cloud's SQS endpoint both read it.
 */
export const FAILURE_QUEUE_RETENTION_SECONDS = 14 * 24 * 3600;

export interface ResourceNames {
  stack: string;
  inputBucket: string;
  outputBucket: string;
  /** `bucket_prefix` values for AWS (S3 appends a unique suffix). */
  inputBucketPrefix: string;
  outputBucketPrefix: string;
  jobsTable: string;
  functions: Record<FunctionId, string>;
  logGroups: Record<FunctionId, string>;
  failureQueues: Record<FunctionId, string>;
  mafftLayer: string;
  subscriptionFilter: string;
}

export function resourceNames(config: Pick<AlignerConfig, "prefix">): ResourceNames {
  const p = config.prefix;
  const fn = (id: FunctionId) => `${p}-${FUNCTION_SOURCES[id].suffix}`;
  return {
    stack: p,
    inputBucket: `${p}-input`,
    outputBucket: `${p}-output`,
    inputBucketPrefix: `${p}-input-`,
    outputBucketPrefix: `${p}-output-`,
    jobsTable: `${p}-jobs`,
    functions: { aligner: fn("aligner"), logProcessor: fn("logProcessor") },
    logGroups: { aligner: `/aws/lambda/${fn("aligner")}`, logProcessor: `/aws/lambda/${fn("logProcessor")}` },
    failureQueues: { aligner: `${fn("aligner")}-failures`, logProcessor: `${fn("logProcessor")}-failures` },
    mafftLayer: `${p}-mafft`,
    subscriptionFilter: `${p}-status`,
  };
}

/** Object key of the Terraform state in the shared state bucket (when `state.bucket` is set). */
export function stateKey(config: Pick<AlignerConfig, "prefix" | "state">): string {
  return config.state.key === "" ? `${config.prefix}/terraform.tfstate` : config.state.key;
}

/**
 * Terraform output names of the stack. The CLI reads these from `cdktf output --outputs-file`
 * (or `cdktf deploy --outputs-file`) to find the deployed resources.
 */
export const STACK_OUTPUTS = {
  region: "region",
  inputBucket: "input_bucket",
  outputBucket: "output_bucket",
  jobsTable: "jobs_table",
  alignerFunction: "aligner_function",
  logProcessorFunction: "log_processor_function",
  alignerLogGroup: "aligner_log_group",
  logProcessorLogGroup: "log_processor_log_group",
  alignerFailureQueueUrl: "aligner_failure_queue_url",
  logProcessorFailureQueueUrl: "log_processor_failure_queue_url",
} as const;

export type StackOutputKey = keyof typeof STACK_OUTPUTS;
