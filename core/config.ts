/**
 * The one place where every setting of lambda-aligner is defined: its default, its bounds, and
 * the environment variable / cdktf context key that overrides it. The stack, the functions'
 * environment, the local cloud, the CLI and the TUI all read the resolved `AlignerConfig`.
 *
 * Precedence: environment variable > cdktf context (`cdktf.json` "context" or
 * `CDKTF_CONTEXT_JSON`) > default.
 */
import { validateMafftArgs } from "./mafft-args.ts";

export type LogFormat = "Text" | "JSON";

export interface FunctionSettings {
  memoryMb: number;
  timeoutSeconds: number;
  logFormat: LogFormat;
  /** Lambda async retries (0..2) for failed invocations. */
  maxRetries: number;
  /** Lambda drops async events older than this. */
  maxEventAgeSeconds: number;
}

export interface AlignerConfig {
  /** Prefix of every resource name (`<prefix>-jobs`, `<prefix>-aligner`, ...). */
  prefix: string;
  region: string;
  aligner: FunctionSettings & {
    ephemeralStorageMb: number;
    /** Reserved concurrency; undefined = unreserved (uses the account pool). */
    reservedConcurrency: number | undefined;
  };
  processor: FunctionSettings & {
    /** Parallel DynamoDB writes per payload. */
    writeConcurrency: number;
  };
  input: {
    /** S3 notification key prefix filter on the input bucket ("" = whole bucket). */
    prefix: string;
    /** S3 notification key suffix filter ("" = any name). */
    suffix: string;
    /** Inputs larger than this fail as InputTooLarge before any download. */
    maxBytes: number;
  };
  mafft: {
    /** Arguments used when a job asks for none. */
    defaultArgs: string[];
    /** MAFFT is killed when the invocation has less than this left, so the handler can report. */
    killMarginMs: number;
    /** Path of the built MAFFT layer zip (`npm run build:layer`). */
    layerZip: string;
  };
  logRetentionDays: number;
  /** Job records expire (DynamoDB TTL) this many days after their last activity. */
  recordTtlDays: number;
  /** Alignments in the output bucket expire after this many days (0 = never). */
  resultExpiryDays: number;
  /** Allow `terraform destroy` to delete non-empty buckets. */
  forceDestroy: boolean;
  tableDeletionProtection: boolean;
  /** ARN of a customer managed KMS key for the jobs table ("" = DynamoDB's AWS owned key). */
  tableKmsKeyArn: string;
  /** Where Terraform keeps the stack's state. */
  state: {
    /** S3 bucket of a shared state ("" = the local backend, a file in cdktf.out). */
    bucket: string;
    /** Object key of the state in that bucket ("" = `<prefix>/terraform.tfstate`). */
    key: string;
    /** DynamoDB table for state locks ("" = S3's own lock file, Terraform 1.10 or later). */
    lockTable: string;
  };
  local: {
    /** A warm local execution environment is stopped after this long without work. */
    idleTimeoutSeconds: number;
    /** Divides Lambda's async retry delays (60 s, 120 s) in the local cloud; 1 = real delays. */
    retryDelayDivisor: number;
    /** Most execution environments per function at once (reserved concurrency, when set, caps it further). */
    concurrency: number;
    /** The local subscription holds a stream's new events this long, to batch them into one payload (ms). */
    logFlushMs: number;
  };
  watch: {
    /** The live view reads what changed this often (ms). */
    refreshMs: number;
    /** The live view reads writes only once they are this old (ms): index replication and write latency. */
    settleMs: number;
    /** Most jobs the live view holds; the oldest leave first. */
    maxJobs: number;
  };
}

/** CloudWatch Logs accepts only these retention periods. */
export const LOG_RETENTION_DAYS_ALLOWED = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Parser<T> = (raw: unknown, key: string) => T;

interface Knob<T> {
  /** Dotted path in AlignerConfig, also the cdktf context key. */
  key: string;
  env: string;
  /** Environment variables read when `env` is unset (standard AWS names). */
  envFallbacks?: string[];
  description: string;
  default: T;
  parse: Parser<T>;
}

const int =
  (min: number, max: number): Parser<number> =>
  (raw, key) => {
    const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    }
    return n;
  };

const optionalInt =
  (min: number, max: number): Parser<number | undefined> =>
  (raw, key) => {
    if (raw === undefined || raw === null || raw === "" || raw === "none") return undefined;
    return int(min, max)(raw, key);
  };

const bool: Parser<boolean> = (raw, key) => {
  if (typeof raw === "boolean") return raw;
  if (typeof raw === "string" && /^(true|1|yes|on)$/i.test(raw)) return true;
  if (typeof raw === "string" && /^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got ${JSON.stringify(raw)}`);
};

const matching =
  (re: RegExp, what: string): Parser<string> =>
  (raw, key) => {
    if (typeof raw !== "string" || !re.test(raw)) {
      throw new ConfigError(`${key} must be ${what}, got ${JSON.stringify(raw)}`);
    }
    return raw;
  };

const logFormat: Parser<LogFormat> = (raw, key) => {
  if (raw === "Text" || raw === "JSON") return raw;
  if (typeof raw === "string" && /^text$/i.test(raw)) return "Text";
  if (typeof raw === "string" && /^json$/i.test(raw)) return "JSON";
  throw new ConfigError(`${key} must be Text or JSON, got ${JSON.stringify(raw)}`);
};

const retention: Parser<number> = (raw, key) => {
  const n = int(1, 3653)(raw, key);
  if (!(LOG_RETENTION_DAYS_ALLOWED as readonly number[]).includes(n)) {
    throw new ConfigError(`${key} must be one of ${LOG_RETENTION_DAYS_ALLOWED.join(", ")} (CloudWatch Logs), got ${n}`);
  }
  return n;
};

const argList: Parser<string[]> = (raw, key) => {
  if (Array.isArray(raw) && raw.every((a) => typeof a === "string")) return raw as string[];
  if (typeof raw === "string") return raw.trim() === "" ? [] : raw.trim().split(/\s+/);
  throw new ConfigError(`${key} must be a list of arguments, got ${JSON.stringify(raw)}`);
};

/** Default MAFFT arguments: refused here, at synth and at start, rather than failing every job later. */
const mafftArgList: Parser<string[]> = (raw, key) => {
  const args = argList(raw, key);
  const checked = validateMafftArgs(args);
  if (!checked.ok) throw new ConfigError(`${key} must be MAFFT arguments the aligner allows: ${checked.reason}`);
  return checked.args;
};

/** A symmetric KMS key by its key ARN (IAM grants name the key, so an alias or a bare id will not do). */
const kmsKeyArn: Parser<string> = (raw, key) => {
  const s = anyString(raw, key);
  if (s !== "" && !/^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/[A-Za-z0-9-]+$/.test(s))
    throw new ConfigError(
      `${key} must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), or empty for DynamoDB's AWS owned key, got ${JSON.stringify(raw)}`,
    );
  return s;
};

const anyString: Parser<string> = (raw, key) => {
  if (typeof raw !== "string") throw new ConfigError(`${key} must be a string, got ${JSON.stringify(raw)}`);
  return raw;
};

const MIB = 1024 * 1024;

/** Every setting. Add new ones here, nowhere else. */
export const KNOBS = [
  knob({
    key: "prefix",
    env: "ALIGNER_PREFIX",
    default: "lambda-aligner",
    description: "prefix of every resource name",
    parse: matching(/^[a-z][a-z0-9-]{2,24}$/, "3-25 lowercase letters, digits or dashes, starting with a letter"),
  }),
  knob({
    key: "region",
    env: "ALIGNER_REGION",
    envFallbacks: ["AWS_REGION", "AWS_DEFAULT_REGION"],
    default: "us-east-1",
    description: "AWS region",
    parse: matching(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as us-east-1"),
  }),
  knob({
    key: "aligner.memoryMb",
    env: "ALIGNER_MEMORY_MB",
    default: 2048,
    description: "aligner memory (MB); Lambda gives one vCPU per 1769 MB",
    parse: int(128, 10240),
  }),
  knob({
    key: "aligner.timeoutSeconds",
    env: "ALIGNER_TIMEOUT_SECONDS",
    default: 300,
    description: "aligner timeout (s)",
    parse: int(1, 900),
  }),
  knob({
    key: "aligner.ephemeralStorageMb",
    env: "ALIGNER_EPHEMERAL_STORAGE_MB",
    default: 2048,
    description: "aligner /tmp size (MB)",
    parse: int(512, 10240),
  }),
  knob({
    key: "aligner.reservedConcurrency",
    env: "ALIGNER_RESERVED_CONCURRENCY",
    default: undefined,
    description: "aligner reserved concurrency (unset = unreserved)",
    parse: optionalInt(0, 10000),
  }),
  knob({
    key: "aligner.logFormat",
    env: "ALIGNER_LOG_FORMAT",
    default: "Text" as LogFormat,
    description: "aligner log format (Text or JSON)",
    parse: logFormat,
  }),
  knob({
    key: "aligner.maxRetries",
    env: "ALIGNER_MAX_RETRIES",
    default: 2,
    description: "async retries of a failed aligner invocation",
    parse: int(0, 2),
  }),
  knob({
    key: "aligner.maxEventAgeSeconds",
    env: "ALIGNER_MAX_EVENT_AGE_SECONDS",
    default: 3600,
    description: "aligner events older than this are sent to the failure queue",
    parse: int(60, 21600),
  }),
  knob({
    key: "processor.memoryMb",
    env: "ALIGNER_PROCESSOR_MEMORY_MB",
    default: 512,
    description: "log-processor memory (MB)",
    parse: int(128, 10240),
  }),
  knob({
    key: "processor.timeoutSeconds",
    env: "ALIGNER_PROCESSOR_TIMEOUT_SECONDS",
    default: 60,
    description: "log-processor timeout (s)",
    parse: int(1, 900),
  }),
  knob({
    key: "processor.logFormat",
    env: "ALIGNER_PROCESSOR_LOG_FORMAT",
    default: "JSON" as LogFormat,
    description: "log-processor log format",
    parse: logFormat,
  }),
  knob({
    key: "processor.maxRetries",
    env: "ALIGNER_PROCESSOR_MAX_RETRIES",
    default: 2,
    description: "async retries of a failed log-processor invocation",
    parse: int(0, 2),
  }),
  knob({
    key: "processor.maxEventAgeSeconds",
    env: "ALIGNER_PROCESSOR_MAX_EVENT_AGE_SECONDS",
    default: 21600,
    description: "log payloads older than this go to the processor's failure queue",
    parse: int(60, 21600),
  }),
  knob({
    key: "processor.writeConcurrency",
    env: "ALIGNER_PROCESSOR_WRITE_CONCURRENCY",
    default: 8,
    description: "parallel DynamoDB writes per log payload",
    parse: int(1, 64),
  }),
  knob({
    key: "input.prefix",
    env: "ALIGNER_INPUT_PREFIX",
    default: "",
    description: "only input keys with this prefix start a job",
    parse: anyString,
  }),
  knob({
    key: "input.suffix",
    env: "ALIGNER_INPUT_SUFFIX",
    default: "",
    description: "only input keys with this suffix start a job",
    parse: anyString,
  }),
  knob({
    key: "input.maxBytes",
    env: "ALIGNER_MAX_INPUT_BYTES",
    default: 100 * MIB,
    description: "largest accepted input (bytes)",
    parse: int(1, 10 * 1024 * MIB),
  }),
  knob({
    key: "mafft.defaultArgs",
    env: "ALIGNER_MAFFT_ARGS",
    default: ["--auto"],
    description: "MAFFT arguments when a job gives none",
    parse: mafftArgList,
  }),
  knob({
    key: "mafft.killMarginMs",
    env: "ALIGNER_MAFFT_KILL_MARGIN_MS",
    default: 10000,
    description: "kill MAFFT when less than this much invocation time is left (ms)",
    parse: int(100, 600000),
  }),
  knob({
    key: "mafft.layerZip",
    env: "ALIGNER_MAFFT_LAYER_ZIP",
    default: "layers/mafft/dist/mafft-layer.zip",
    description: "MAFFT layer zip built by `npm run build:layer`",
    parse: anyString,
  }),
  knob({
    key: "logRetentionDays",
    env: "ALIGNER_LOG_RETENTION_DAYS",
    default: 30,
    description: "CloudWatch log retention (days)",
    parse: retention,
  }),
  knob({
    key: "recordTtlDays",
    env: "ALIGNER_RECORD_TTL_DAYS",
    default: 90,
    description: "job records expire after this many days",
    parse: int(1, 3650),
  }),
  knob({
    key: "resultExpiryDays",
    env: "ALIGNER_RESULT_EXPIRY_DAYS",
    default: 30,
    description: "alignments expire after this many days (0 = keep)",
    parse: int(0, 3650),
  }),
  knob({
    key: "forceDestroy",
    env: "ALIGNER_FORCE_DESTROY",
    default: false,
    description: "let destroy delete non-empty buckets",
    parse: bool,
  }),
  knob({
    key: "tableDeletionProtection",
    env: "ALIGNER_TABLE_DELETION_PROTECTION",
    default: true,
    description: "DynamoDB deletion protection on the jobs table",
    parse: bool,
  }),
  knob({
    key: "tableKmsKeyArn",
    env: "ALIGNER_TABLE_KMS_KEY_ARN",
    default: "",
    description: "customer managed KMS key of the jobs table (unset = DynamoDB's AWS owned key)",
    parse: kmsKeyArn,
  }),
  knob({
    key: "state.bucket",
    env: "ALIGNER_STATE_BUCKET",
    default: "",
    description: "S3 bucket for a shared Terraform state (unset = local state file)",
    parse: anyString,
  }),
  knob({
    key: "state.key",
    env: "ALIGNER_STATE_KEY",
    default: "",
    description: "key of the state in that bucket (unset = <prefix>/terraform.tfstate)",
    parse: anyString,
  }),
  knob({
    key: "state.lockTable",
    env: "ALIGNER_STATE_LOCK_TABLE",
    default: "",
    description: "DynamoDB table for state locks (unset = S3 lock file, Terraform >= 1.10)",
    parse: anyString,
  }),
  knob({
    key: "local.idleTimeoutSeconds",
    env: "ALIGNER_LOCAL_IDLE_TIMEOUT_SECONDS",
    default: 300,
    description: "local cloud: idle warm environments stop after this (s)",
    parse: int(1, 86400),
  }),
  knob({
    key: "local.retryDelayDivisor",
    env: "ALIGNER_LOCAL_RETRY_DELAY_DIVISOR",
    default: 1,
    description: "local cloud: divide Lambda's async retry delays by this",
    parse: int(1, 1000000),
  }),
  knob({
    key: "local.concurrency",
    env: "ALIGNER_LOCAL_CONCURRENCY",
    default: 4,
    description: "local cloud: most execution environments per function at once",
    parse: int(1, 64),
  }),
  knob({
    key: "local.logFlushMs",
    env: "ALIGNER_LOCAL_LOG_FLUSH_MS",
    default: 1000,
    description: "local cloud: log subscription batching window (ms)",
    parse: int(10, 60000),
  }),
  knob({
    key: "watch.refreshMs",
    env: "ALIGNER_WATCH_REFRESH_MS",
    default: 1000,
    description: "live view: read what changed this often (ms)",
    parse: int(100, 600000),
  }),
  knob({
    key: "watch.settleMs",
    env: "ALIGNER_WATCH_SETTLE_MS",
    default: 1000,
    description: "live view: read writes once they are this old (ms), for index replication",
    parse: int(0, 60000),
  }),
  knob({
    key: "watch.maxJobs",
    env: "ALIGNER_WATCH_MAX_JOBS",
    default: 10000,
    description: "live view: most jobs held (the oldest leave first)",
    parse: int(10, 1000000),
  }),
] as const;

function knob<T>(k: Knob<T>): Knob<T> {
  return k;
}

/** The environment variable of a setting, for messages that say what to change. Throws on an unknown key. */
export function knobEnv(key: string): string {
  const k = (KNOBS as readonly Knob<unknown>[]).find((x) => x.key === key);
  if (k === undefined) throw new Error(`there is no setting '${key}' in core/config.ts`);
  return k.env;
}

export interface ConfigSources {
  /** Usually process.env. */
  env?: Record<string, string | undefined>;
  /** Reads a cdktf context value by dotted key (e.g. `app.node.tryGetContext`). */
  context?: (key: string) => unknown;
}

/** Resolves every knob. Throws ConfigError naming the offending variable. */
export function resolveConfig(sources: ConfigSources = {}): AlignerConfig {
  const env = sources.env ?? {};
  const out: Record<string, unknown> = {};
  for (const k of KNOBS as readonly Knob<unknown>[]) {
    const fromEnv = [k.env, ...(k.envFallbacks ?? [])].find((name) => env[name] !== undefined && env[name] !== "");
    let value: unknown = k.default;
    if (fromEnv !== undefined) {
      value = k.parse(env[fromEnv], fromEnv);
    } else {
      const ctx = sources.context?.(k.key);
      if (ctx !== undefined) value = k.parse(ctx, `context "${k.key}"`);
    }
    setPath(out, k.key, value);
  }
  return out as unknown as AlignerConfig;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node = (node[part] ??= {}) as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** The settings as rows (key, env var, value, description), for `aligner config` and the README. */
export function describeConfig(
  config: AlignerConfig,
): { key: string; env: string; value: unknown; description: string }[] {
  return (KNOBS as readonly Knob<unknown>[]).map((k) => ({
    key: k.key,
    env: k.env,
    value: k.key
      .split(".")
      .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], config),
    description: k.description,
  }));
}
