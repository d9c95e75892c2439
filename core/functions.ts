/**
 * One description of each function, read by the stack (infra/) and the local cloud (local/): its
 * source, its settings, its environment, its service name and the permissions it needs. Adding a
 * function, or a setting or permission to one, starts here. Pure.
 */
import type { AlignerConfig, FunctionSettings } from "./config.ts";
import { alignerEnvironment, processorEnvironment } from "./function-env.ts";
import { FUNCTION_SOURCES, type FunctionId, type FunctionSource } from "./names.ts";

/** The settings a function runs with, wherever it runs. */
export interface RunSettings extends FunctionSettings {
  /** Size of /tmp (MB); undefined = Lambda's 512 MB. */
  ephemeralStorageMb: number | undefined;
  /** Reserved concurrency; undefined = unreserved. */
  reservedConcurrency: number | undefined;
}

/** The resources a function's environment names (their names are known only once they exist). */
export interface FunctionResources {
  inputBucket: string;
  outputBucket: string;
  jobsTable: string;
}

/**
 * What a function may do, beyond writing its own logs and sending to its own failure queue (which
 * every function does). The stack turns each into one grant of the resource's construct.
 */
export type Permission =
  /** Read input objects under `input.prefix`, and list that prefix. */
  | { resource: "inputBucket"; access: "readObjects" }
  /** Write output objects (single and multipart uploads). */
  | { resource: "outputBucket"; access: "writeObjects" }
  /** Read records and apply conditional updates to the jobs table. */
  | { resource: "jobsTable"; access: "recordStatus" };

export interface FunctionDescription {
  id: FunctionId;
  source: FunctionSource;
  /** Powertools' service name, also POWERTOOLS_SERVICE_NAME in the environment. */
  serviceName: string;
  /** Whether it runs MAFFT from the MAFFT layer. */
  usesMafftLayer: boolean;
  settings(config: AlignerConfig): RunSettings;
  environment(config: AlignerConfig, resources: FunctionResources): Record<string, string>;
  permissions: readonly Permission[];
}

export const FUNCTIONS: Readonly<Record<FunctionId, FunctionDescription>> = {
  aligner: {
    id: "aligner",
    source: FUNCTION_SOURCES.aligner,
    serviceName: FUNCTION_SOURCES.aligner.serviceName,
    usesMafftLayer: true,
    settings: (config) => ({
      ...functionSettings(config.aligner),
      ephemeralStorageMb: config.aligner.ephemeralStorageMb,
      reservedConcurrency: config.aligner.reservedConcurrency,
    }),
    environment: (config, resources) => alignerEnvironment(config, resources),
    permissions: [
      { resource: "inputBucket", access: "readObjects" },
      { resource: "outputBucket", access: "writeObjects" },
    ],
  },
  logProcessor: {
    id: "logProcessor",
    source: FUNCTION_SOURCES.logProcessor,
    serviceName: FUNCTION_SOURCES.logProcessor.serviceName,
    usesMafftLayer: false,
    // The processor's public setting keys are `processor.*` (README, Configuration); they map here.
    settings: (config) => ({
      ...functionSettings(config.processor),
      ephemeralStorageMb: undefined,
      reservedConcurrency: undefined,
    }),
    environment: (config, resources) => processorEnvironment(config, resources),
    permissions: [{ resource: "jobsTable", access: "recordStatus" }],
  },
};

export const FUNCTION_IDS = Object.keys(FUNCTIONS) as FunctionId[];

/** Only the Lambda settings, not the extra knobs a function's section of the configuration also holds. */
function functionSettings(s: FunctionSettings): FunctionSettings {
  return {
    memoryMb: s.memoryMb,
    timeoutSeconds: s.timeoutSeconds,
    logFormat: s.logFormat,
    maxRetries: s.maxRetries,
    maxEventAgeSeconds: s.maxEventAgeSeconds,
  };
}
