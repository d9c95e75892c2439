/**
 * The embedded local cloud: the whole lambda-aligner pipeline on one machine, with the real
 * handlers unchanged. `aligner dev` (and `npm start`) run it; the integration tests start their own.
 *
 *   S3 (s3rver) ──ObjectCreated──► aligner (async queue → Lambda environments) ──logs──►
 *   CloudWatch Logs (local store + API) ──subscription──► log processor (async queue →
 *   environments) ──► DynamoDB (dynalite)
 *   events the functions gave up on ──► failure store ◄── SQS API (local/sqs: the on-failure queues)
 *
 * The functions reach S3 and DynamoDB through fault-injection proxies (local/faults.ts).
 *
 * Programmatic API:
 *
 *   const cloud = await startLocalCloud({ ephemeral: true, overrides: { aligner: { timeoutSeconds: 5 } } });
 *   cloud.endpoints                 // LocalEndpoints (core/local-endpoints.ts): endpoints, names, credentials
 *   cloud.clientOptions("s3")       // options for aws/clients.ts: s3Client(cloud.clientOptions("s3"))
 *   await cloud.waitForQuiet()      // queues drained (retries included), log deliveries flushed, nothing running
 *   cloud.functions.logProcessor    // { definition, pool, invoker }: environments, async queue (tests, fault injection)
 *   cloud.faults.dynamodb.inject({ operation: "UpdateItem", count: 3, error: "ThrottlingException" })
 *   cloud.faults.s3.stall({ method: "GET", pathPrefix: "/lambda-aligner-input/slow", ms: 60_000 })
 *   cloud.failures.read(cloud.names.failureQueues.aligner)   // the on-failure destination
 *   await cloud.stop()              // running invocations finish (grace), deliveries flushed, children stopped, servers closed
 *
 * Options: `stateDir` (default `.aligner`; data kept across restarts) or `ephemeral` (a temporary
 * folder removed by stop()); `config` and `overrides` (short timeouts, `local.retryDelayDivisor`,
 * `local.logFlushMs`, ...); `ports` (0 = any free port, the default); `writeEndpointsFile` (what
 * `aligner dev` does: `<stateDir>/local.json`, removed by stop()); `onEvent` (progress).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { resolveConfig, type AlignerConfig } from "../core/config.ts";
import { alignerEnvironment, LOCAL_ENV, processorEnvironment, SDK_ENDPOINT_ENV } from "../core/function-env.ts";
import { LOCAL_STATE_DIR, type LocalEndpoints } from "../core/local-endpoints.ts";
import { MAFFT_ROOT_ENV } from "../core/mafft-layer.ts";
import { FUNCTION_SOURCES, LAMBDA_RUNTIME, resourceNames, type FunctionId, type ResourceNames } from "../core/names.ts";
import { bundleFunction } from "../infra/bundle.ts";
import { prepareLocalMafft } from "../layers/mafft/local.ts";
import { dynamoClient, s3Client, type ClientOptions } from "../aws/clients.ts";
import {
  acquireCloudLock,
  localEndpointsPath,
  processAlive,
  readLocalEndpoints,
  removeLocalEndpoints,
  writeLocalEndpoints,
} from "./endpoints-file.ts";
import { FaultProxy } from "./faults.ts";
import { AsyncInvoker, type AsyncPolicy } from "./lambda/async-invoker.ts";
import type { EnvironmentHost, FunctionDefinition, InvocationRecord } from "./lambda/environment.ts";
import { FailureStore } from "./lambda/failures.ts";
import { ProcessTreeSampler } from "./lambda/memory.ts";
import { bundleRuntime, localRuntimeVersion } from "./lambda/runtime-bundle.ts";
import { FunctionPool } from "./lambda/pool.ts";
import { LogsApi } from "./logs/api.ts";
import { SqsApi } from "./sqs/api.ts";
import { FailureQueues } from "./sqs/queues.ts";
import { LogStore } from "./logs/store.ts";
import { Subscription } from "./logs/subscription.ts";
import { bridgeS3rverEvents, Sequencer, type S3Event } from "./s3/notifications.ts";
import {
  ensureBucket,
  ensureJobsTable,
  LOCAL_CREDENTIALS,
  startDynalite,
  startS3rver,
  type RunningServer,
} from "./storage.ts";

/** The account id the local cloud puts in ARNs. */
export const LOCAL_ACCOUNT_ID = "000000000000";

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[]
    ? T[K]
    : T[K] extends object | undefined
      ? DeepPartial<NonNullable<T[K]>>
      : T[K];
};
export type ConfigOverrides = DeepPartial<AlignerConfig>;

export type Service = "s3" | "dynamodb" | "logs" | "sqs";

export type CloudEvent =
  | { type: "invocation"; function: FunctionId; record: InvocationRecord & { attempt: number } }
  | { type: "retry"; function: FunctionId; requestId: string; attempt: number; delayMs: number }
  | { type: "failure"; function: FunctionId; requestId: string; condition: string; attempts: number }
  | { type: "notification"; requestId: string; key: string };

export interface LocalCloudOptions {
  /** Where data is kept across runs (default `.aligner` in the current folder). Ignored when `ephemeral`. */
  stateDir?: string;
  /** Everything in a temporary folder that stop() removes (tests). */
  ephemeral?: boolean;
  /** The configuration (default: resolved from process.env, as every part of the project does). */
  config?: AlignerConfig;
  /** Changes on top of `config`. */
  overrides?: ConfigOverrides;
  /** Listening ports; 0 or absent = any free port. */
  ports?: Partial<Record<Service, number>>;
  /**
   * Write `local.json` for the other `aligner` commands (what `aligner dev` does): into `stateDir`
   * (default `.aligner`), also when the data itself is ephemeral.
   */
  writeEndpointsFile?: boolean;
  /** How often environments' memory is sampled (ms, default 100). */
  memorySampleMs?: number;
  /** How long stop() lets running invocations finish before ending them (ms, default 10,000). */
  stopGraceMs?: number;
  onEvent?: (event: CloudEvent) => void;
}

export interface LocalFunction {
  id: FunctionId;
  definition: FunctionDefinition;
  pool: FunctionPool;
  invoker: AsyncInvoker;
}

export interface LocalCloud {
  readonly endpoints: LocalEndpoints;
  readonly config: AlignerConfig;
  readonly names: ResourceNames;
  readonly stateDir: string;
  /** Where local.json is written (with `writeEndpointsFile`). */
  readonly endpointsFile: string;
  /** Where the MAFFT the aligner runs comes from (for the banner). */
  readonly mafftSource: string;
  readonly functions: Record<FunctionId, LocalFunction>;
  readonly logs: LogStore;
  readonly failures: FailureStore;
  /** The functions' paths to DynamoDB and S3 (fault injection: throttling, errors, stalls). */
  readonly faults: { dynamodb: FaultProxy; s3: FaultProxy };
  /** Options for `s3Client()`, `dynamoClient()`, `logsClient()`, `sqsClient()` of aws/clients.ts reaching this cloud. */
  clientOptions(service: Service): ClientOptions;
  /** An asynchronous invocation (InvocationType=Event); returns the request id. */
  invokeAsync(fn: FunctionId, event: unknown): string;
  /** Delivers every log batch now instead of at the end of its window. */
  flushLogs(): void;
  /** Resolves when nothing is running or waiting (retries included) and no log batch is pending. */
  waitForQuiet(opts?: { timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
  /** Ends every execution environment now, without waiting (a second Ctrl-C). Queued events stay journaled. */
  killNow(): void;
}

export class LocalCloudError extends Error {
  override name = "LocalCloudError";
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const config = applyOverrides(options.config ?? resolveConfig({ env: process.env }), options.overrides ?? {});
  const names = resourceNames(config);
  const ephemeral = options.ephemeral === true;
  // Where local.json goes: the state folder, or for ephemeral data the folder it would have been.
  const endpointsDir = path.resolve(options.stateDir ?? LOCAL_STATE_DIR);
  let releaseLock: (() => void) | undefined;
  if (!ephemeral || options.writeEndpointsFile) {
    const running = readLocalEndpoints(endpointsDir);
    const lock =
      running && running.pid !== process.pid && processAlive(running.pid)
        ? { heldBy: running.pid }
        : acquireCloudLock(endpointsDir);
    if ("heldBy" in lock) {
      throw new LocalCloudError(
        `the local cloud is already running from ${endpointsDir} (pid ${lock.heldBy}); stop it first, or use another state folder`,
      );
    }
    releaseLock = lock.release;
  }
  // Created only once nothing can refuse to start, so a refusal leaves no folder behind.
  const stateDir = ephemeral
    ? mkdtempSync(path.join(tmpdir(), "aligner-local-"))
    : path.resolve(options.stateDir ?? LOCAL_STATE_DIR);
  mkdirSync(stateDir, { recursive: true });
  const dirs = {
    build: path.join(stateDir, "build"),
    dynamodb: path.join(stateDir, "dynamodb"),
    s3: path.join(stateDir, "s3"),
    logs: path.join(stateDir, "logs"),
    lambda: path.join(stateDir, "lambda"),
    failures: path.join(stateDir, "failures"),
    scratch: path.join(stateDir, "lambda", "scratch"),
  };

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (ephemeral) rmSync(stateDir, { recursive: true, force: true });
    releaseLock?.();
  };

  try {
    // Code: the same bundles the stack deploys, and the local runtime that runs them.
    rmSync(dirs.scratch, { recursive: true, force: true }); // scratch folders of environments of an earlier run
    mkdirSync(dirs.scratch, { recursive: true });
    const bundles = {
      aligner: bundleFunction("aligner", path.join(dirs.build, "functions")),
      logProcessor: bundleFunction("logProcessor", path.join(dirs.build, "functions")),
    };
    const runtimeEntry = bundleRuntime(path.join(dirs.build, "runtime"));
    const mafft = await prepareLocalMafft(stateDir, { layerZip: config.mafft.layerZip });

    // Storage and services.
    const logs = new LogStore(dirs.logs);
    const failures = new FailureStore(dirs.failures);
    const dynamo = await startDynalite({
      dir: ephemeral ? undefined : dirs.dynamodb,
      port: options.ports?.dynamodb ?? 0,
    });
    cleanups.push(() => dynamo.close());
    const dynamoFaults = new FaultProxy(dynamo.endpoint);
    const functionsDynamo = await dynamoFaults.listen();
    cleanups.push(() => dynamoFaults.close());
    const logsApi = new LogsApi(logs, { region: config.region, accountId: LOCAL_ACCOUNT_ID });
    const logsEndpoint = await logsApi.listen(options.ports?.logs ?? 0);
    cleanups.push(() => logsApi.close());
    // The on-failure queues over SQS's own API, served from the failure store the invokers write.
    const failureQueueNames = Object.values(names.failureQueues);
    const sqsApi = new SqsApi(
      new FailureQueues(dirs.failures, failureQueueNames),
      {
        [names.failureQueues.aligner]: names.functions.aligner,
        [names.failureQueues.logProcessor]: names.functions.logProcessor,
      },
      { region: config.region, accountId: LOCAL_ACCOUNT_ID },
    );
    const sqsEndpoint = await sqsApi.listen(options.ports?.sqs ?? 0);
    cleanups.push(() => sqsApi.close());

    const client = (endpoint: string): ClientOptions => ({
      endpoint,
      region: config.region,
      credentials: { ...LOCAL_CREDENTIALS },
      maxAttempts: 3,
    });
    const admin = dynamoClient(client(dynamo.endpoint));
    await ensureJobsTable(admin, names.jobsTable);
    admin.destroy();

    // S3, with notifications bridged to the aligner's asynchronous invocation.
    let deliverToAligner: ((event: S3Event) => void) | undefined;
    const sequencer = new Sequencer();
    const s3: RunningServer = await startS3rver({
      dir: dirs.s3,
      port: options.ports?.s3 ?? 0,
      prepare: (s3rver) =>
        bridgeS3rverEvents(
          s3rver,
          [
            {
              bucket: names.inputBucket,
              events: ["s3:ObjectCreated:*"],
              filter: { prefix: config.input.prefix, suffix: config.input.suffix },
              deliver: (event) => {
                if (!deliverToAligner) throw new Error("the aligner is not ready");
                deliverToAligner(event);
              },
            },
          ],
          {
            region: config.region,
            configurationId: `${names.functions.aligner}-trigger`,
            principalId: `AWS:${LOCAL_CREDENTIALS.accessKeyId}`,
            ownerPrincipalId: LOCAL_ACCOUNT_ID,
            sequencer,
          },
        ),
    });
    cleanups.push(() => s3.close());
    const s3Faults = new FaultProxy(s3.endpoint);
    const functionsS3 = await s3Faults.listen();
    cleanups.push(() => s3Faults.close());
    const admin3 = s3Client(client(s3.endpoint));
    for (const bucket of [names.inputBucket, names.outputBucket]) await ensureBucket(admin3, bucket);
    admin3.destroy();
    for (const id of ["aligner", "logProcessor"] as const)
      logs.ensureGroup(names.logGroups[id], { retentionInDays: config.logRetentionDays });
    // Log retention as in CloudWatch: now, then hourly while the cloud runs.
    logs.expire();
    const expiry = setInterval(() => logs.expire(), 3_600_000).unref();
    cleanups.push(() => clearInterval(expiry));

    // Lambda.
    const sampler = new ProcessTreeSampler(options.memorySampleMs ?? 100);
    cleanups.push(() => sampler.stop());
    const host: EnvironmentHost = {
      runtimeEntry,
      logs,
      sampler,
      scratchRoot: dirs.scratch,
      runtimeVersion: localRuntimeVersion(config.region),
      baseEnvironment: { PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin" },
    };
    const functionEndpoints: Record<string, string> = {
      [SDK_ENDPOINT_ENV.s3]: functionsS3,
      [SDK_ENDPOINT_ENV.dynamodb]: functionsDynamo,
      [SDK_ENDPOINT_ENV.logs]: logsEndpoint,
      [LOCAL_ENV.s3ForcePathStyle]: "true",
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: "local-session-token",
    };
    const definitions: Record<FunctionId, FunctionDefinition> = {
      aligner: {
        functionName: names.functions.aligner,
        logGroup: names.logGroups.aligner,
        codeDir: bundles.aligner.dir,
        handler: FUNCTION_SOURCES.aligner.handler,
        memoryMb: config.aligner.memoryMb,
        timeoutSeconds: config.aligner.timeoutSeconds,
        logFormat: config.aligner.logFormat,
        environment: {
          ...alignerEnvironment(config, { inputBucket: names.inputBucket, outputBucket: names.outputBucket }),
          ...functionEndpoints,
          [MAFFT_ROOT_ENV]: mafft.root,
        },
        region: config.region,
        accountId: LOCAL_ACCOUNT_ID,
        runtime: LAMBDA_RUNTIME,
      },
      logProcessor: {
        functionName: names.functions.logProcessor,
        logGroup: names.logGroups.logProcessor,
        codeDir: bundles.logProcessor.dir,
        handler: FUNCTION_SOURCES.logProcessor.handler,
        memoryMb: config.processor.memoryMb,
        timeoutSeconds: config.processor.timeoutSeconds,
        logFormat: config.processor.logFormat,
        environment: { ...processorEnvironment(config, { jobsTable: names.jobsTable }), ...functionEndpoints },
        region: config.region,
        accountId: LOCAL_ACCOUNT_ID,
        runtime: LAMBDA_RUNTIME,
      },
    };
    const concurrency: Record<FunctionId, number> = {
      aligner: Math.min(config.local.concurrency, config.aligner.reservedConcurrency ?? Infinity),
      logProcessor: config.local.concurrency,
    };
    const policies: Record<FunctionId, AsyncPolicy> = {
      aligner: {
        maxRetries: config.aligner.maxRetries,
        maxEventAgeSeconds: config.aligner.maxEventAgeSeconds,
        retryDelayDivisor: config.local.retryDelayDivisor,
      },
      logProcessor: {
        maxRetries: config.processor.maxRetries,
        maxEventAgeSeconds: config.processor.maxEventAgeSeconds,
        retryDelayDivisor: config.local.retryDelayDivisor,
      },
    };
    const functions = {} as Record<FunctionId, LocalFunction>;
    for (const id of ["aligner", "logProcessor"] as const) {
      const definition = definitions[id];
      const pool = new FunctionPool(definition, host, {
        concurrency: concurrency[id],
        idleTimeoutMs: config.local.idleTimeoutSeconds * 1000,
      });
      cleanups.push(() => pool.stop());
      const arn = `arn:aws:lambda:${config.region}:${LOCAL_ACCOUNT_ID}:function:${definition.functionName}`;
      const invoker = new AsyncInvoker(
        pool,
        arn,
        names.failureQueues[id],
        policies[id],
        path.join(dirs.lambda, `${definition.functionName}.queue.jsonl`),
        failures,
      );
      invoker.on("invoked", (record) => options.onEvent?.({ type: "invocation", function: id, record }));
      invoker.on("retryScheduled", (r) => options.onEvent?.({ type: "retry", function: id, ...r }));
      invoker.on("failed", (r) => options.onEvent?.({ type: "failure", function: id, ...r }));
      functions[id] = { id, definition, pool, invoker };
    }
    deliverToAligner = (event) => {
      const requestId = functions.aligner.invoker.enqueue(event);
      const key = event.Records[0]?.s3.object.key ?? "";
      options.onEvent?.({ type: "notification", requestId, key });
    };

    // The status pipeline: the aligner's log group → the log processor, as the stack's subscription filter.
    const subscription = new Subscription(logs, {
      filterName: names.subscriptionFilter,
      logGroup: names.logGroups.aligner,
      filterPattern: "", // the stack's pattern: every event
      owner: LOCAL_ACCOUNT_ID,
      flushMs: config.local.logFlushMs,
      cursorFile: path.join(dirs.logs, "subscriptions.json"),
      deliver: (event) => void functions.logProcessor.invoker.enqueue(event),
    });
    cleanups.push(() => subscription.close());

    const endpoints: LocalEndpoints = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      region: config.region,
      credentials: { ...LOCAL_CREDENTIALS },
      endpoints: { s3: s3.endpoint, dynamodb: dynamo.endpoint, logs: logsEndpoint, sqs: sqsEndpoint },
      resources: {
        inputBucket: names.inputBucket,
        outputBucket: names.outputBucket,
        jobsTable: names.jobsTable,
        alignerFunction: names.functions.aligner,
        logProcessorFunction: names.functions.logProcessor,
        alignerLogGroup: names.logGroups.aligner,
        logProcessorLogGroup: names.logGroups.logProcessor,
      },
      failureStore: dirs.failures,
      failureQueues: { ...names.failureQueues },
    };
    if (options.writeEndpointsFile) {
      mkdirSync(endpointsDir, { recursive: true });
      writeLocalEndpoints(endpointsDir, endpoints);
      cleanups.push(() => removeLocalEndpoints(endpointsDir, process.pid));
    }

    for (const f of Object.values(functions)) f.invoker.start();

    const endpointsOf: Record<Service, string> = {
      s3: s3.endpoint,
      dynamodb: dynamo.endpoint,
      logs: logsEndpoint,
      sqs: sqsEndpoint,
    };
    let stopping: Promise<void> | undefined;

    const busy = (): string[] => {
      const out: string[] = [];
      for (const f of Object.values(functions)) {
        if (f.invoker.pending > 0)
          out.push(`${f.definition.functionName}: ${f.invoker.pending} event(s) queued or running`);
      }
      if (!subscription.idle) out.push("log subscription: a batch is waiting");
      return out;
    };

    return {
      endpoints,
      config,
      names,
      stateDir,
      endpointsFile: localEndpointsPath(endpointsDir),
      mafftSource: mafft.source,
      functions,
      logs,
      failures,
      faults: { dynamodb: dynamoFaults, s3: s3Faults },
      clientOptions: (service) => client(endpointsOf[service]),
      invokeAsync: (fn, event) => functions[fn].invoker.enqueue(event),
      flushLogs: () => subscription.flushAll(),
      async waitForQuiet(opts = {}) {
        const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
        let quietChecks = 0;
        // Quiet twice in a row, a little apart: an invocation that just ended may still be writing its REPORT.
        while (quietChecks < 2) {
          await sleep(25);
          quietChecks = busy().length === 0 ? quietChecks + 1 : 0;
          if (Date.now() > deadline)
            throw new LocalCloudError(
              `the local cloud is still busy after ${opts.timeoutMs ?? 120_000} ms: ${busy().join("; ")}`,
            );
        }
      },
      killNow() {
        for (const f of Object.values(functions)) {
          f.invoker.pause();
          f.pool.killAll();
        }
      },
      stop() {
        stopping ??= (async () => {
          const grace = options.stopGraceMs ?? 10_000;
          // 1. No new aligner work; running jobs get the grace period, then end (their events stay queued).
          functions.aligner.invoker.pause();
          await Promise.race([functions.aligner.invoker.settled(), sleep(grace)]);
          await functions.aligner.pool.stop();
          await functions.aligner.invoker.settled();
          // 2. Every log line written so far goes to the processor, which works through what is due.
          subscription.flushAll();
          const until = Date.now() + grace;
          while (
            Date.now() < until &&
            (functions.logProcessor.invoker.inFlight > 0 || dueNow(functions.logProcessor.invoker))
          )
            await sleep(25);
          functions.logProcessor.invoker.pause();
          await Promise.race([functions.logProcessor.invoker.settled(), sleep(Math.max(0, until - Date.now()))]);
          await functions.logProcessor.pool.stop();
          await functions.logProcessor.invoker.settled();
          subscription.flushAll(); // the processor's last REPORTs are in its own group: nothing subscribes to it
          await cleanup();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function dueNow(invoker: AsyncInvoker): boolean {
  const due = invoker.nextDueAt();
  return due !== undefined && due <= Date.now();
}

/** Unref'd: a grace period raced against work must not keep the process alive after the work is done. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** `b` on top of `a` (both partial): what two layers of overrides amount to. */
export function mergeOverrides(a: ConfigOverrides, b: ConfigOverrides): ConfigOverrides {
  return applyOverrides<ConfigOverrides>(a, b);
}

/** The configuration the local cloud runs with: `overrides` on top of `base`. */
export function applyOverrides<T>(base: T, overrides: DeepPartial<T>): T {
  const out = structuredClone(base) as Record<string, unknown>;
  for (const [k, v] of Object.entries(overrides as Record<string, unknown>)) {
    if (v === undefined) continue;
    const cur = out[k];
    out[k] =
      v !== null &&
      typeof v === "object" &&
      !Array.isArray(v) &&
      cur !== null &&
      typeof cur === "object" &&
      !Array.isArray(cur)
        ? applyOverrides(cur, v as DeepPartial<typeof cur>)
        : v;
  }
  return out as T;
}
