/**
 * One local Lambda execution environment: a child process running the function's bundle under
 * the local Node runtime (runtime.ts), one invocation at a time, with its own log stream and its
 * own scratch directory (its `/tmp`).
 *
 * What it writes to its stream, as Lambda does: INIT_START when it starts, then per invocation
 * START, whatever the function logs, END and REPORT (Duration, Billed Duration, Memory Size, Max
 * Memory Used = the sandbox's high-water mark, Init Duration on the first). A timeout kills the
 * whole process tree and reports `Status: timeout`; resident memory beyond the configured size
 * kills it and reports `Runtime.OutOfMemory`; a runtime that dies mid-invocation reports
 * `Runtime.ExitError`. A killed or dead environment is never reused.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { LogFormat } from "../../core/config.ts";
import type { MemoryWatch, ProcessTreeSampler } from "./memory.ts";
import { belowLevel, levelNumber, LineSplitter } from "./output.ts";
import {
  billedMs,
  endLine,
  initReportLine,
  initStartLine,
  logStreamName,
  reportLine,
  runtimeExitLine,
  startLine,
  type ReportStatus,
  type RuntimeIdentity,
} from "./platform-lines.ts";
import { RUNTIME_ENV, TELEMETRY_FD, type Frame, type InvokeErrorPayload, type InvokeMessage } from "./protocol.ts";

const MIB = 1024 * 1024;
const VERSION = "$LATEST";
/** How long the pipes may take to deliver the last bytes of a finished or killed process. */
const DRAIN_MS = 2000;
/** Lambda gives an on-demand init 10 s, then retries it within the invocation's own timeout. */
const INIT_LIMIT_MS = 10_000;

export interface FunctionDefinition {
  functionName: string;
  logGroup: string;
  /** Folder holding the bundle: LAMBDA_TASK_ROOT and the working directory. */
  codeDir: string;
  /** `index.handler` */
  handler: string;
  memoryMb: number;
  timeoutSeconds: number;
  logFormat: LogFormat;
  /** The function's configured variables (core/function-env.ts plus SDK endpoints). */
  environment: Record<string, string>;
  region: string;
  accountId: string;
  /** The runtime identifier, e.g. nodejs22.x. */
  runtime: string;
}

export interface LogSink {
  append(group: string, stream: string, events: { timestamp: number; message: string }[]): void;
}

export interface EnvironmentHost {
  /** The bundled local runtime (runtime.ts). */
  runtimeEntry: string;
  logs: LogSink;
  sampler: ProcessTreeSampler;
  /** Parent folder of every environment's scratch directory. */
  scratchRoot: string;
  runtimeVersion: Pick<RuntimeIdentity, "runtimeVersion" | "runtimeVersionArn">;
  /** Variables every environment inherits from the host (PATH, and what the MAFFT layer needs). */
  baseEnvironment: Record<string, string>;
}

/** `interrupted`: the local cloud itself stopped the environment (shutdown), not something the function did. */
export type FailureKind = "handler" | "timeout" | "outOfMemory" | "exit" | "init" | "interrupted";

export type InvokeOutcome =
  | { ok: true; payload: unknown }
  | { ok: false; kind: FailureKind; error: InvokeErrorPayload };

export interface InvocationRecord {
  requestId: string;
  logStream: string;
  coldStart: boolean;
  initDurationMs?: number;
  durationMs: number;
  billedDurationMs: number;
  maxMemoryUsedMb: number;
  outcome: InvokeOutcome;
}

export type EnvironmentState = "new" | "initializing" | "idle" | "busy" | "stopping" | "dead";
type KillReason = "timeout" | "outOfMemory" | "shutdown" | "injected";

type Ending =
  | { kind: "result"; frame: Extract<Frame, { t: "result" }> }
  | { kind: "killed"; reason: KillReason }
  | { kind: "exited"; reason: string };

interface Active {
  requestId: string;
  result?: Extract<Frame, { t: "result" }>;
  markers: Set<number>;
  settle: (e: Ending) => void;
  graceTimer?: NodeJS.Timeout;
}

type InitOutcome =
  | { ok: true; initDurationMs: number }
  | { ok: false; initDurationMs: number; error: InvokeErrorPayload };

export class ExecutionEnvironment {
  readonly id = randomBytes(16).toString("hex");
  readonly logStream: string;
  state: EnvironmentState = "new";
  invocations = 0;
  lastUsedAt = Date.now();

  private child: ChildProcess | undefined;
  private memory: MemoryWatch | undefined;
  private readonly scratchDir: string;
  private readonly flushToken = randomBytes(12).toString("hex");
  private readonly minRawLevel: number;
  private active: Active | undefined;
  private initWaiter: ((o: InitOutcome) => void) | undefined;
  private initStartedAt = 0;
  private killReason: KillReason | undefined;
  private exited: Promise<string> | undefined;
  private splitters: LineSplitter[] = [];

  constructor(
    readonly fn: FunctionDefinition,
    private readonly host: EnvironmentHost,
  ) {
    this.logStream = logStreamName(new Date(), VERSION, this.id);
    this.scratchDir = path.join(host.scratchRoot, this.id);
    this.minRawLevel = fn.logFormat === "JSON" ? levelNumber("INFO") : 0;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resident memory of the sandbox now, and its high-water mark (bytes). */
  get memoryBytes(): { current: number; peak: number } {
    return { current: this.memory?.currentBytes ?? 0, peak: this.memory?.peakBytes ?? 0 };
  }

  /** Runs one invocation (starting the environment first when it is new). */
  async invoke(requestId: string, event: unknown, invokedFunctionArn: string): Promise<InvocationRecord> {
    if (this.state !== "new" && this.state !== "idle")
      throw new Error(`environment ${this.id} is ${this.state}, not ready for an invocation`);
    const cold = this.state === "new";
    this.state = "busy";
    this.invocations++;
    try {
      let initDurationMs: number | undefined;
      if (cold) {
        const init = await this.start();
        initDurationMs = init.initDurationMs;
        if (!init.ok) return await this.failedInit(requestId, init);
        this.state = "busy";
      }
      return await this.run(requestId, event, invokedFunctionArn, initDurationMs);
    } finally {
      this.lastUsedAt = Date.now();
      if (this.state === "busy") this.state = "idle";
    }
  }

  /** Ends the environment now (fault injection, shutdown). An invocation in progress fails as `Runtime.ExitError`. */
  kill(reason: KillReason = "injected"): void {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.killReason ??= reason;
    if (this.memory)
      this.memory.killTree(); // the runtime and everything it started
    else this.child.kill("SIGKILL");
  }

  /** Stops the environment (idle timeout or shutdown) and removes its scratch directory. */
  async stop(): Promise<void> {
    if (this.state === "dead") return;
    if (this.state === "idle" || this.state === "new") this.state = "stopping"; // never handed out again
    this.kill("shutdown");
    if (this.exited) await this.exited;
    this.retire();
  }

  // -------------------------------------------------------------------------------------------

  private write(message: string | undefined, at: number = Date.now()): void {
    if (message === undefined) return;
    this.host.logs.append(this.fn.logGroup, this.logStream, [{ timestamp: at, message }]);
  }

  private environment(): Record<string, string> {
    const fn = this.fn;
    const env: Record<string, string> = {
      ...this.host.baseEnvironment,
      ...fn.environment,
      AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: VERSION,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: fn.logGroup,
      AWS_LAMBDA_LOG_STREAM_NAME: this.logStream,
      AWS_LAMBDA_LOG_FORMAT: fn.logFormat,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime}`,
      AWS_REGION: fn.region,
      AWS_DEFAULT_REGION: fn.region,
      LAMBDA_TASK_ROOT: fn.codeDir,
      _HANDLER: fn.handler,
      TZ: ":UTC",
      LANG: "en_US.UTF-8",
      [RUNTIME_ENV.telemetryFd]: String(TELEMETRY_FD),
      [RUNTIME_ENV.flushToken]: this.flushToken,
    };
    if (fn.logFormat === "JSON") env["AWS_LAMBDA_LOG_LEVEL"] = "INFO";
    // Lambda's /tmp is private to the environment: point the function's scratch variables there.
    for (const k of ["TMPDIR", "TMP", "TEMP", "MAFFT_TMPDIR"]) {
      if (env[k] === undefined || env[k] === "/tmp") env[k] = this.scratchDir;
    }
    return env;
  }

  private start(): Promise<InitOutcome> {
    this.state = "initializing";
    mkdirSync(this.scratchDir, { recursive: true });
    const at = new Date();
    this.initStartedAt = performance.now();
    this.write(
      initStartLine(this.fn.logFormat, at, {
        functionName: this.fn.functionName,
        functionVersion: VERSION,
        ...this.host.runtimeVersion,
      }),
      at.getTime(),
    );
    const child = spawn(process.execPath, [this.host.runtimeEntry], {
      cwd: this.fn.codeDir,
      env: this.environment(),
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true, // its own process group, apart from the host's terminal signals (Ctrl-C)
    });
    this.child = child;
    const outcome = new Promise<InitOutcome>((resolve) => (this.initWaiter = resolve));

    const markerPrefix = `\u0000${this.flushToken}:`;
    const raw = (fd: number) =>
      new LineSplitter(
        markerPrefix,
        (line) => {
          if (this.minRawLevel && belowLevel(line.text, this.minRawLevel)) return;
          this.write(line.text, line.at);
        },
        (requestId) => this.onMarker(fd, requestId),
      );
    const out = raw(1);
    const err = raw(2);
    this.splitters = [out, err];
    child.stdout!.on("data", (c: Buffer) => out.push(c));
    child.stderr!.on("data", (c: Buffer) => err.push(c));
    const frames = new FrameReader((f) => this.onFrame(f));
    const telemetry = child.stdio[TELEMETRY_FD] as NodeJS.ReadableStream;
    telemetry.on("data", (c: Buffer) => frames.push(c));
    child.stdin!.on("error", () => undefined); // EPIPE when the child died: the exit handler reports it

    const closed = [child.stdout!, child.stderr!, telemetry].map(
      (s) => new Promise<void>((r) => s.once("close", () => r())),
    );
    this.exited = new Promise<string>((resolve) => {
      const ended = (reason: string) => {
        // Let the pipes deliver their last bytes, but never hang on a grandchild holding them.
        void Promise.race([Promise.all(closed), delay(DRAIN_MS)]).then(() => {
          for (const s of this.splitters) s.flush();
          this.onExit(reason);
          resolve(reason);
        });
      };
      child.once("exit", (code, signal) => ended(signal ? `signal: ${signalName(signal)}` : `exit status ${code}`));
      child.once("error", (e) => {
        this.initWaiter?.({
          ok: false,
          initDurationMs: 0,
          error: { errorType: "Runtime.Unknown", errorMessage: `cannot start the runtime: ${e.message}`, trace: [] },
        });
        this.initWaiter = undefined;
        // A process that never started emits no 'exit': without this, stopping it would wait forever.
        if (child.pid === undefined) ended(`spawn error: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
      });
    });

    if (child.pid !== undefined) {
      this.memory = this.host.sampler.watch(child.pid, (bytes) => {
        if ((this.state === "busy" || this.state === "initializing") && bytes > this.fn.memoryMb * MIB)
          this.kill("outOfMemory");
      });
    }
    const initTimer = setTimeout(() => this.kill("timeout"), INIT_LIMIT_MS + this.fn.timeoutSeconds * 1000);
    return outcome.finally(() => clearTimeout(initTimer));
  }

  private onFrame(f: Frame): void {
    switch (f.t) {
      case "log":
        this.write(f.msg, f.ts);
        return;
      case "ready":
        this.initWaiter?.({ ok: true, initDurationMs: performance.now() - this.initStartedAt });
        this.initWaiter = undefined;
        return;
      case "initError":
        this.initWaiter?.({ ok: false, initDurationMs: performance.now() - this.initStartedAt, error: f.error });
        this.initWaiter = undefined;
        return;
      case "result": {
        const a = this.active;
        if (!a || a.requestId !== f.requestId) return;
        a.result = f;
        if (a.markers.size === 2) a.settle({ kind: "result", frame: f });
        // The markers normally arrive within a millisecond; do not wait forever for a pipe a grandchild holds.
        else a.graceTimer = setTimeout(() => a.settle({ kind: "result", frame: f }), DRAIN_MS);
      }
    }
  }

  private onMarker(fd: number, requestId: string): void {
    const a = this.active;
    if (!a || a.requestId !== requestId) return;
    a.markers.add(fd);
    if (a.result && a.markers.size === 2) a.settle({ kind: "result", frame: a.result });
  }

  private onExit(reason: string): void {
    const wasInit = this.initWaiter;
    if (wasInit) {
      this.initWaiter = undefined;
      const errorType =
        this.killReason === "outOfMemory"
          ? "Runtime.OutOfMemory"
          : this.killReason === "timeout"
            ? "Sandbox.Timedout"
            : "Runtime.ExitError";
      wasInit({
        ok: false,
        initDurationMs: performance.now() - this.initStartedAt,
        error: {
          errorType,
          errorMessage: `RequestId: undefined Error: Runtime exited with error: ${reason}`,
          trace: [],
        },
      });
    }
    const a = this.active;
    if (a) {
      if (a.result) a.settle({ kind: "result", frame: a.result });
      else if (this.killReason) a.settle({ kind: "killed", reason: this.killReason });
      else a.settle({ kind: "exited", reason });
    }
    if (!this.active && this.state !== "busy" && this.state !== "initializing") this.retire();
  }

  private retire(): void {
    if (this.state === "dead") return;
    this.state = "dead";
    // Nothing an environment started outlives it (a sandbox is destroyed whole).
    this.memory?.killTree();
    this.memory?.stop();
    rmSync(this.scratchDir, { recursive: true, force: true });
  }

  private get alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  private maxMemoryUsedMb(): number {
    const peak = Math.ceil((this.memory?.peakBytes ?? 0) / MIB);
    return Math.min(Math.max(peak, 1), this.fn.memoryMb);
  }

  private async run(
    requestId: string,
    event: unknown,
    invokedFunctionArn: string,
    initDurationMs: number | undefined,
  ): Promise<InvocationRecord> {
    const fmt = this.fn.logFormat;
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const startAt = new Date();
    this.write(startLine(fmt, startAt, requestId, VERSION), startAt.getTime());
    const started = performance.now();

    const ending = new Promise<Ending>((resolve) => {
      this.active = {
        requestId,
        markers: new Set(),
        settle: (e) => {
          if (this.active?.requestId !== requestId) return;
          clearTimeout(this.active.graceTimer);
          this.active = undefined;
          resolve(e);
        },
      };
    });
    const msg: InvokeMessage = {
      t: "invoke",
      requestId,
      event,
      deadlineMs: Date.now() + timeoutMs,
      invokedFunctionArn,
      traceId: traceHeader(),
    };
    // A runtime that died a moment ago fails this invocation through its exit handler.
    if (this.alive) this.child!.stdin!.write(`${JSON.stringify(msg)}\n`);
    const timer = setTimeout(() => this.kill("timeout"), timeoutMs);
    const end = await ending;
    clearTimeout(timer);
    const durationMs = performance.now() - started;

    let outcome: InvokeOutcome;
    let status: ReportStatus;
    let billed = billedMs(durationMs, initDurationMs);
    if (end.kind === "result") {
      outcome = end.frame.ok
        ? { ok: true, payload: end.frame.payload }
        : { ok: false, kind: "handler", error: end.frame.error };
      status = end.frame.ok ? { status: "success" } : { status: "handlerError", errorType: end.frame.error.errorType };
    } else if (end.kind === "killed" && end.reason === "timeout") {
      const seconds = (timeoutMs / 1000).toFixed(2);
      outcome = {
        ok: false,
        kind: "timeout",
        error: {
          errorType: "Sandbox.Timedout",
          errorMessage: `${startAt.toISOString()} ${requestId} Task timed out after ${seconds} seconds`,
          trace: [],
        },
      };
      status = { status: "timeout" };
      billed = billedMs(timeoutMs, initDurationMs);
    } else if (end.kind === "killed" && end.reason === "outOfMemory") {
      outcome = {
        ok: false,
        kind: "outOfMemory",
        error: {
          errorType: "Runtime.OutOfMemory",
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
          trace: [],
        },
      };
      status = { status: "error", errorType: "Runtime.OutOfMemory" };
    } else {
      const reason = end.kind === "exited" ? end.reason : "signal: killed";
      this.write(runtimeExitLine(fmt, new Date(), requestId, reason));
      const kind = end.kind === "killed" && end.reason === "shutdown" ? "interrupted" : "exit";
      outcome = {
        ok: false,
        kind,
        error: {
          errorType: "Runtime.ExitError",
          errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${reason}`,
          trace: [],
        },
      };
      status = { status: "error", errorType: "Runtime.ExitError" };
    }
    const maxMemoryUsedMb =
      status.status === "error" && status.errorType === "Runtime.OutOfMemory"
        ? this.fn.memoryMb
        : this.maxMemoryUsedMb();
    const endAt = new Date();
    this.write(endLine(fmt, requestId), endAt.getTime());
    this.write(
      reportLine(fmt, endAt, {
        requestId,
        durationMs,
        billedDurationMs: billed,
        memorySizeMb: this.fn.memoryMb,
        maxMemoryUsedMb,
        ...(initDurationMs !== undefined ? { initDurationMs } : {}),
        outcome: status,
      }),
      endAt.getTime(),
    );
    if (!this.alive || this.killReason) {
      this.state = "dead";
      if (this.exited) await this.exited;
      this.retire();
    }
    return {
      requestId,
      logStream: this.logStream,
      coldStart: initDurationMs !== undefined,
      ...(initDurationMs !== undefined ? { initDurationMs } : {}),
      durationMs,
      billedDurationMs: billed,
      maxMemoryUsedMb,
      outcome,
    };
  }

  /** The handler could not be loaded: INIT_REPORT, then the invocation fails with the init's error type. */
  private async failedInit(requestId: string, init: Extract<InitOutcome, { ok: false }>): Promise<InvocationRecord> {
    const fmt = this.fn.logFormat;
    const at = new Date();
    const timedOut = init.error.errorType === "Sandbox.Timedout";
    this.write(
      initReportLine(
        fmt,
        at,
        init.initDurationMs,
        timedOut ? { status: "timeout" } : { status: "error", errorType: init.error.errorType },
      ),
      at.getTime(),
    );
    this.write(startLine(fmt, at, requestId, VERSION), at.getTime());
    this.write(endLine(fmt, requestId), at.getTime());
    const billed = billedMs(0, init.initDurationMs);
    const maxMemoryUsedMb = this.maxMemoryUsedMb();
    this.write(
      reportLine(fmt, at, {
        requestId,
        durationMs: 0,
        billedDurationMs: billed,
        memorySizeMb: this.fn.memoryMb,
        maxMemoryUsedMb,
        outcome: timedOut ? { status: "timeout" } : { status: "error", errorType: init.error.errorType },
      }),
      at.getTime(),
    );
    this.state = "dead";
    this.kill("shutdown");
    if (this.exited) await this.exited;
    this.retire();
    return {
      requestId,
      logStream: this.logStream,
      coldStart: true,
      initDurationMs: init.initDurationMs,
      durationMs: 0,
      billedDurationMs: billed,
      maxMemoryUsedMb,
      outcome: { ok: false, kind: timedOut ? "timeout" : "init", error: init.error },
    };
  }
}

/** Newline-delimited JSON frames from the runtime's telemetry fd. */
class FrameReader {
  private buf = "";
  /** A pipe read may end inside a multi-byte character: the decoder keeps its first bytes for the next read. */
  private readonly decoder = new StringDecoder("utf8");
  constructor(private readonly onFrame: (f: Frame) => void) {}
  push(chunk: Buffer): void {
    this.buf += this.decoder.write(chunk);
    for (let nl = this.buf.indexOf("\n"); nl >= 0; nl = this.buf.indexOf("\n")) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (line === "") continue;
      try {
        this.onFrame(JSON.parse(line) as Frame);
      } catch {
        // A frame cut by a kill mid-write: nothing to recover.
      }
    }
  }
}

function signalName(signal: NodeJS.Signals): string {
  return (
    { SIGKILL: "killed", SIGABRT: "aborted", SIGSEGV: "segmentation fault", SIGTERM: "terminated" }[signal as string] ??
    signal
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

/** An X-Ray trace header, as Lambda sets `_X_AMZN_TRACE_ID` for each invocation (not sampled). */
function traceHeader(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}
