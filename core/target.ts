/**
 * Which deployment a CLI command talks to, and where each resource name came from. Pure: the
 * CLI reads the files (`.aligner/local.json`, a stack outputs file) and passes their contents in.
 *
 * - local: the embedded local cloud, from `.aligner/local.json` (endpoints, dummy credentials,
 *   names), written by `aligner dev`.
 * - aws: the standard credential chain; names from, in order, a stack outputs file given with
 *   `--outputs`, environment variables, an `outputs.json` found in the working directory, and
 *   — for the names the stack does not randomise (table, log group) — the configured prefix.
 *
 * Also used by `aligner dev --demo` (targetFromLocalEndpoints) to open the live view.
 */
import { KNOBS, type AlignerConfig } from "./config.ts";
import { RESOURCE_ENV } from "./function-env.ts";
import { LOCAL_ENDPOINTS_FILE, LOCAL_STATE_DIR, type LocalEndpoints } from "./local-endpoints.ts";
import { resourceNames, STACK_OUTPUTS, type FunctionId, type StackOutputKey } from "./names.ts";

export type ResourceKey =
  | "jobsTable"
  | "inputBucket"
  | "outputBucket"
  | "alignerLogGroup"
  | "alignerFailureQueue"
  | "logProcessorFailureQueue";

export const RESOURCE_LABELS: Record<ResourceKey, string> = {
  jobsTable: "jobs table",
  inputBucket: "input bucket",
  outputBucket: "output bucket",
  alignerLogGroup: "aligner log group",
  alignerFailureQueue: "aligner failure queue",
  logProcessorFailureQueue: "log-processor failure queue",
};

/** The on-failure destination queue of each function, as a resource of the target. */
export const FAILURE_QUEUE_RESOURCE: Record<FunctionId, ResourceKey> = {
  aligner: "alignerFailureQueue",
  logProcessor: "logProcessorFailureQueue",
};
/** Resources the stack outputs and the environment give as SQS queue URLs (their name is the URL's last part). */
const QUEUE_URL_RESOURCES = new Set<ResourceKey>(Object.values(FAILURE_QUEUE_RESOURCE));

/** Environment variables that name a resource for the CLI (the first three are the functions' own). */
export const TARGET_ENV: Record<ResourceKey, string> = {
  jobsTable: RESOURCE_ENV.jobsTable,
  inputBucket: RESOURCE_ENV.inputBucket,
  outputBucket: RESOURCE_ENV.outputBucket,
  alignerLogGroup: "ALIGNER_LOG_GROUP",
  alignerFailureQueue: "ALIGNER_FAILURE_QUEUE_URL",
  logProcessorFailureQueue: "ALIGNER_LOG_PROCESSOR_FAILURE_QUEUE_URL",
};

const OUTPUT_OF: Record<ResourceKey, StackOutputKey> = {
  jobsTable: "jobsTable",
  inputBucket: "inputBucket",
  outputBucket: "outputBucket",
  alignerLogGroup: "alignerLogGroup",
  alignerFailureQueue: "alignerFailureQueueUrl",
  logProcessorFailureQueue: "logProcessorFailureQueueUrl",
};

export interface ResolvedResource {
  name: string;
  /** For queues named by a URL (stack outputs, environment); otherwise found by name (GetQueueUrl). */
  url?: string;
  /** Where the name came from, for humans: "outputs.json", "ALIGNER_JOBS_TABLE", ... */
  from: string;
}

export interface Target {
  kind: "local" | "aws";
  /** Where the target itself came from. */
  source: string;
  region: string;
  /** The local cloud's endpoints and dummy credentials (local targets only). */
  local?: {
    pid: number;
    endpoints: LocalEndpoints["endpoints"];
    credentials: LocalEndpoints["credentials"];
  };
  resources: Partial<Record<ResourceKey, ResolvedResource>>;
}

export class TargetError extends Error {
  override name = "TargetError";
}

export function targetFromLocalEndpoints(
  e: LocalEndpoints,
  file = `${LOCAL_STATE_DIR}/${LOCAL_ENDPOINTS_FILE}`,
): Target {
  const from = file;
  return {
    kind: "local",
    source: `local cloud (${file}, pid ${e.pid})`,
    region: e.region,
    local: { pid: e.pid, endpoints: e.endpoints, credentials: e.credentials },
    resources: {
      jobsTable: { name: e.resources.jobsTable, from },
      inputBucket: { name: e.resources.inputBucket, from },
      outputBucket: { name: e.resources.outputBucket, from },
      alignerLogGroup: { name: e.resources.alignerLogGroup, from },
      alignerFailureQueue: { name: e.failureQueues.aligner, from },
      logProcessorFailureQueue: { name: e.failureQueues.logProcessor, from },
    },
  };
}

export interface OutputsFile {
  /** As the user named it (for messages). */
  path: string;
  content: unknown;
}

/**
 * The stack's outputs from any of the shapes users have: `cdktf deploy|output --outputs-file`
 * (`{"<stack>": {"input_bucket": "..."}}`), a flat `{"input_bucket": "..."}`, or
 * `terraform output -json` (`{"input_bucket": {"value": "...", ...}}`).
 */
export function readStackOutputs(content: unknown, stackName: string): Partial<Record<StackOutputKey, string>> {
  if (typeof content !== "object" || content === null || Array.isArray(content)) {
    throw new TargetError("is not a JSON object of stack outputs");
  }
  const root = content as Record<string, unknown>;
  const known = new Set<string>(Object.values(STACK_OUTPUTS));
  let outputs: Record<string, unknown> = root;
  if (!Object.keys(root).some((k) => known.has(k))) {
    const stacks = Object.entries(root).filter(
      ([, v]) => typeof v === "object" && v !== null && Object.keys(v).some((k) => known.has(k)),
    );
    const chosen = stacks.find(([k]) => k === stackName) ?? (stacks.length === 1 ? stacks[0] : undefined);
    if (!chosen) {
      throw new TargetError(
        stacks.length > 1
          ? `holds several stacks (${stacks.map(([k]) => k).join(", ")}) and none is named ${stackName}; set ALIGNER_PREFIX to the one you mean`
          : `holds none of the stack's outputs (${[...known].join(", ")})`,
      );
    }
    outputs = chosen[1] as Record<string, unknown>;
  }
  const out: Partial<Record<StackOutputKey, string>> = {};
  for (const [key, name] of Object.entries(STACK_OUTPUTS) as [StackOutputKey, string][]) {
    const raw = outputs[name];
    const value = typeof raw === "object" && raw !== null && "value" in raw ? (raw as { value: unknown }).value : raw;
    if (typeof value === "string" && value !== "") out[key] = value;
  }
  return out;
}

export interface AwsTargetSources {
  config: Pick<AlignerConfig, "prefix" | "region">;
  env: Record<string, string | undefined>;
  /** Given with --region: wins over everything. */
  explicitRegion?: string;
  /** Given with --outputs: wins over everything. */
  explicitOutputs?: OutputsFile;
  /** `outputs.json` found in the working directory: used after the environment. */
  discoveredOutputs?: OutputsFile;
}

const REGION_KNOB = KNOBS.find((k) => k.key === "region")!;
/** The environment variables the region setting reads (ALIGNER_REGION, then the standard AWS ones). */
const REGION_ENV = [REGION_KNOB.env, ...(REGION_KNOB.envFallbacks ?? [])];

/** `--region`, checked as the region setting checks its own (ConfigError naming the flag). */
export function checkRegion(region: string, what = "--region"): string {
  return REGION_KNOB.parse(region, what) as string;
}

export function awsTarget(s: AwsTargetSources): Target {
  const names = resourceNames(s.config);
  const explicit = s.explicitOutputs ? withPath(s.explicitOutputs, names.stack) : undefined;
  const discovered = s.discoveredOutputs ? withPath(s.discoveredOutputs, names.stack) : undefined;
  // The names the stack does not randomise; its queues are found by name with GetQueueUrl.
  const defaults: Partial<Record<ResourceKey, string>> = {
    jobsTable: names.jobsTable,
    alignerLogGroup: names.logGroups.aligner,
    alignerFailureQueue: names.failureQueues.aligner,
    logProcessorFailureQueue: names.failureQueues.logProcessor,
  };
  const resources: Partial<Record<ResourceKey, ResolvedResource>> = {};
  for (const key of Object.keys(RESOURCE_LABELS) as ResourceKey[]) {
    const fromExplicit = explicit?.values[OUTPUT_OF[key]];
    const fromEnv = s.env[TARGET_ENV[key]];
    const fromDiscovered = discovered?.values[OUTPUT_OF[key]];
    const given = (value: string, from: string): ResolvedResource =>
      QUEUE_URL_RESOURCES.has(key) ? queueFromUrl(value, from) : { name: value, from };
    if (fromExplicit) resources[key] = given(fromExplicit, explicit!.path);
    else if (fromEnv) resources[key] = given(fromEnv, TARGET_ENV[key]);
    else if (fromDiscovered) resources[key] = given(fromDiscovered, discovered!.path);
    else if (defaults[key]) resources[key] = { name: defaults[key]!, from: `prefix ${s.config.prefix}` };
  }
  // The environment's region is config.region (same variables, same order as the deploy reads
  // them: the stack is where that says); a found outputs file only when the environment is silent.
  const envRegion = REGION_ENV.some((name) => s.env[name]) ? s.config.region : undefined;
  const region =
    s.explicitRegion ?? explicit?.values.region ?? envRegion ?? discovered?.values.region ?? s.config.region;
  const file = s.explicitOutputs?.path ?? s.discoveredOutputs?.path;
  const profile = s.env["AWS_PROFILE"];
  return {
    kind: "aws",
    source: `AWS ${region}${profile ? `, profile ${profile}` : ""}${file ? `, names from ${file}` : ""}`,
    region,
    resources,
  };
}

/** A queue given by its URL (`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`): its name is the last part. */
function queueFromUrl(url: string, from: string): ResolvedResource {
  let parts: string[] = [];
  try {
    parts = new URL(url).pathname.split("/").filter(Boolean);
  } catch {
    // not a URL: refused below
  }
  if (parts.length !== 2)
    throw new TargetError(
      `${from} does not hold an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME): ${JSON.stringify(url)}`,
    );
  return { name: parts[1]!, url, from };
}

function withPath(
  file: OutputsFile,
  stackName: string,
): { path: string; values: Partial<Record<StackOutputKey, string>> } {
  try {
    return { path: file.path, values: readStackOutputs(file.content, stackName) };
  } catch (err) {
    throw new TargetError(`${file.path} ${(err as Error).message}`);
  }
}

/** The resource's name, or a sentence saying what is missing and how to provide it. */
export function requireResource(target: Target, key: ResourceKey): string {
  return requireResolved(target, key).name;
}

/** As requireResource, with where the name came from (and a queue's URL). */
export function requireResolved(target: Target, key: ResourceKey): ResolvedResource {
  const r = target.resources[key];
  if (r) return r;
  if (target.kind === "local")
    throw new TargetError(
      `the local cloud's ${RESOURCE_LABELS[key]} is not named in ${target.source}; restart it with aligner dev`,
    );
  throw new TargetError(
    `the ${RESOURCE_LABELS[key]} is not known: pass --outputs FILE (written by cdktf deploy --outputs-file FILE) or set ${TARGET_ENV[key]}, or use --local for the local cloud`,
  );
}

/** Rows for `aligner target` and the first line of each command. */
export function describeTarget(target: Target): {
  summary: string;
  rows: { resource: string; name: string; from: string }[];
} {
  const rows = (Object.keys(RESOURCE_LABELS) as ResourceKey[]).map((key) => {
    const r = target.resources[key];
    return {
      resource: RESOURCE_LABELS[key],
      name: r?.name ?? "(unknown)",
      from: r?.from ?? `missing: set ${TARGET_ENV[key]} or pass --outputs`,
    };
  });
  if (target.local) {
    rows.push(
      { resource: "DynamoDB endpoint", name: target.local.endpoints.dynamodb, from: "local cloud" },
      { resource: "S3 endpoint", name: target.local.endpoints.s3, from: "local cloud" },
      { resource: "CloudWatch Logs endpoint", name: target.local.endpoints.logs, from: "local cloud" },
      { resource: "SQS endpoint", name: target.local.endpoints.sqs, from: "local cloud" },
    );
  }
  const table = target.resources.jobsTable?.name;
  return { summary: `${target.source}${table ? ` · table ${table}` : ""}`, rows };
}
