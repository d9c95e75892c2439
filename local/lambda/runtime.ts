/**
 * The Node.js runtime of a local execution environment: the program each child process runs
 * (bundled by esbuild, started by `environment.ts`). It does what Lambda's Node runtime interface
 * client does, as far as a function can tell:
 *
 * - `console.*` patched as the runtime patches it: Text lines `<ISO time>\t<request id>\t<LEVEL>\t<util.format(...)>\n`
 *   (the request id prints `undefined` before the first invocation), JSON lines
 *   `{"timestamp","level","requestId","message"}` with errors serialised the runtime's way, and in
 *   JSON format the application log level of `AWS_LAMBDA_LOG_LEVEL` applied.
 * - The handler named by `_HANDLER` loaded from `LAMBDA_TASK_ROOT` (`index.handler` → `index.mjs`,
 *   `.js` or `.cjs`), once, at init; an import failure is reported as `Runtime.ImportModuleError`.
 * - One invocation at a time with a Lambda context object; async and callback handlers; a
 *   thrown or rejected error is logged as the runtime logs it (`Invoke Error`) and returned as
 *   `{errorType, errorMessage, trace}`; an uncaught exception or unhandled rejection during an
 *   invocation fails it and ends the process, as the runtime does.
 */
import { writeSync } from "node:fs";
import { existsSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { format, types } from "node:util";
import {
  flushMarker,
  RUNTIME_ENV,
  TELEMETRY_FD,
  type Frame,
  type InvokeErrorPayload,
  type InvokeMessage,
} from "./protocol.ts";

const telemetryFd = Number(process.env[RUNTIME_ENV.telemetryFd] ?? TELEMETRY_FD);
const flushToken = process.env[RUNTIME_ENV.flushToken] ?? "";
delete process.env[RUNTIME_ENV.telemetryFd];
delete process.env[RUNTIME_ENV.flushToken];

/** Blocking write of a whole buffer; retries when the pipe is momentarily full (non-blocking fd). */
function writeAll(fd: number, data: string): void {
  let buf = Buffer.from(data, "utf8");
  while (buf.length > 0) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

function send(frame: Frame): void {
  writeAll(telemetryFd, `${JSON.stringify(frame)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Console, as the Node runtime patches it.

const LEVELS = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 } as const;
type Level = keyof typeof LEVELS;

let currentRequestId: string | undefined;
const jsonFormat = process.env["AWS_LAMBDA_LOG_FORMAT"]?.toUpperCase() === "JSON";
const minLevel = LEVELS[(process.env["AWS_LAMBDA_LOG_LEVEL"]?.toUpperCase() ?? "") as Level] ?? LEVELS.TRACE;

function jsonErrorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return Object.assign(
      {
        errorType: value.constructor?.name ?? "UnknownError",
        errorMessage: value.message,
        stackTrace: typeof value.stack === "string" ? value.stack.split("\n") : value.stack,
      },
      value,
    );
  }
  return value;
}

function formatJson(time: string, level: Level, message: unknown, params: unknown[]): string {
  const result: Record<string, unknown> = { timestamp: time, level, requestId: String(currentRequestId) };
  if (params.length === 0) {
    result["message"] = message;
    try {
      return JSON.stringify(result, jsonErrorReplacer);
    } catch {
      result["message"] = format(message);
      return JSON.stringify(result);
    }
  }
  result["message"] = format(message, ...params);
  const err = params.find((p): p is Error => p instanceof Error);
  if (err) {
    result["errorType"] = err.constructor?.name ?? "UnknownError";
    result["errorMessage"] = err.message;
    result["stackTrace"] = typeof err.stack === "string" ? err.stack.split("\n") : [];
  }
  return JSON.stringify(result);
}

function log(level: Level, message: unknown, params: unknown[]): void {
  const now = new Date();
  const time = now.toISOString();
  const msg = jsonFormat
    ? formatJson(time, level, message, params)
    : `${time}\t${currentRequestId}\t${level}\t${format(message, ...params)}\n`;
  send({ t: "log", ts: now.getTime(), msg });
}

function patchConsole(): void {
  const nop = () => undefined;
  const at = (level: Level) =>
    LEVELS[level] >= minLevel ? (message?: unknown, ...params: unknown[]) => log(level, message, params) : nop;
  console.trace = at("TRACE");
  console.debug = at("DEBUG");
  console.info = at("INFO");
  console.warn = at("WARN");
  console.error = at("ERROR");
  (console as unknown as Record<string, unknown>)["fatal"] = at("FATAL");
  console.log = console.info;
}

// ---------------------------------------------------------------------------------------------
// Errors, as the runtime reports them.

function intoError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

function isErrorLike(e: unknown): e is Error {
  const o = e as Partial<Error> | null;
  return !!o && typeof o.name === "string" && typeof o.message === "string" && typeof o.stack === "string";
}

function toRapidResponse(error: unknown): InvokeErrorPayload {
  try {
    if (types.isNativeError(error) || isErrorLike(error)) {
      const e = error as Error;
      return { errorType: e.name, errorMessage: e.message, trace: (e.stack ?? "").split("\n") };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch {
    return {
      errorType: "handled",
      errorMessage:
        "callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack",
      trace: [],
    };
  }
}

/** `\t{"errorType",...,"stack":[...]}`: the Text format's rendering of an error (a leading tab, for compatibility). */
function toFormatted(error: Error): string {
  const withEnumerables = (_k: string, v: unknown): unknown => {
    if (!(v instanceof Error)) return v;
    const out = Object.assign(
      { errorType: v.name, errorMessage: v.message, code: (v as NodeJS.ErrnoException).code },
      v,
    ) as unknown as Record<string, unknown>;
    if (typeof v.stack === "string") out["stack"] = v.stack.split("\n");
    return out;
  };
  try {
    return `\t${JSON.stringify(error, withEnumerables)}`;
  } catch {
    return `\t${JSON.stringify(toRapidResponse(error))}`;
  }
}

/** `Invoke Error`, `Uncaught Exception`, ...: one ERROR line in the function's log format. */
function logError(label: string, err: unknown): void {
  if (jsonFormat) console.error(intoError(err));
  else console.error(label, toFormatted(intoError(err)));
}

class RuntimeError extends Error {
  constructor(
    readonly runtimeType: string,
    message: string,
  ) {
    super(message);
    this.name = `Runtime.${runtimeType}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Init: load the handler.

type Handler = (event: unknown, context: unknown, callback: (err?: unknown, data?: unknown) => void) => unknown;

async function loadHandler(): Promise<Handler> {
  const root = process.env["LAMBDA_TASK_ROOT"] ?? process.cwd();
  const spec = process.env["_HANDLER"] ?? "index.handler";
  const dot = spec.lastIndexOf(".");
  if (dot <= 0 || dot === spec.length - 1) throw new RuntimeError("MalformedHandlerName", `Bad handler ${spec}`);
  const moduleBase = path.resolve(root, spec.slice(0, dot));
  const exportName = spec.slice(dot + 1);
  const file = [".js", ".mjs", ".cjs"].map((ext) => moduleBase + ext).find((f) => existsSync(f));
  if (!file) throw new RuntimeError("ImportModuleError", `Error: Cannot find module '${path.basename(moduleBase)}'`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SyntaxError) throw new RuntimeError("UserCodeSyntaxError", `${err.name}: ${err.message}`);
    throw err;
  }
  const handler = mod[exportName] ?? (mod["default"] as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== "function")
    throw new RuntimeError(
      "HandlerNotFound",
      `${path.basename(moduleBase)}.${exportName} is undefined or not exported`,
    );
  return handler as Handler;
}

// ---------------------------------------------------------------------------------------------
// Invocations.

let current: InvokeMessage | undefined;

function context(msg: InvokeMessage) {
  const env = process.env;
  const deprecated = () => {
    throw new Error(
      "context.done/succeed/fail are not supported by the local runtime; return or throw from an async handler",
    );
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: env["AWS_LAMBDA_FUNCTION_NAME"] ?? "",
    functionVersion: env["AWS_LAMBDA_FUNCTION_VERSION"] ?? "$LATEST",
    invokedFunctionArn: msg.invokedFunctionArn,
    memoryLimitInMB: env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] ?? "",
    awsRequestId: msg.requestId,
    logGroupName: env["AWS_LAMBDA_LOG_GROUP_NAME"] ?? "",
    logStreamName: env["AWS_LAMBDA_LOG_STREAM_NAME"] ?? "",
    getRemainingTimeInMillis: () => Math.max(msg.deadlineMs - Date.now(), 0),
    done: deprecated,
    succeed: deprecated,
    fail: deprecated,
  };
}

function runHandler(handler: Handler, msg: InvokeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (err?: unknown, data?: unknown) =>
      err !== undefined && err !== null ? reject(err) : resolve(data);
    const returned = handler(msg.event, context(msg), callback);
    if (
      returned !== null &&
      typeof returned === "object" &&
      typeof (returned as Promise<unknown>).then === "function"
    ) {
      (returned as Promise<unknown>).then(resolve, reject);
    } else if (handler.length < 3) {
      resolve(returned);
    }
  });
}

type Outcome = { ok: true; payload: unknown } | { ok: false; error: InvokeErrorPayload };

/**
 * The marker goes behind whatever `process.stdout/stderr.write` still holds: stdio pipes are
 * sockets, written asynchronously, so a large write can still be queued when the handler returns
 * and a marker written straight to the fd would overtake it (the rest of the line would land
 * after END). Writes made to the fd directly (writeSync, child processes) are already out.
 */
function queueBehind(stream: NodeJS.WriteStream, fd: number, marker: string): Promise<void> {
  if (stream.destroyed || !stream.writable) {
    writeAll(fd, marker);
    return Promise.resolve();
  }
  return new Promise((resolve) => stream.write(marker, () => resolve()));
}

/** Every byte the invocation wrote to stdout/stderr goes out before the result. */
async function flushOutput(requestId: string): Promise<void> {
  const marker = flushMarker(flushToken, requestId);
  await Promise.all([queueBehind(process.stdout, 1, marker), queueBehind(process.stderr, 2, marker)]);
}

function sendResult(msg: InvokeMessage, outcome: Outcome): void {
  send(
    outcome.ok
      ? { t: "result", requestId: msg.requestId, ok: true, payload: outcome.payload }
      : { t: "result", requestId: msg.requestId, ok: false, error: outcome.error },
  );
}

async function finish(msg: InvokeMessage, outcome: Outcome): Promise<void> {
  await flushOutput(msg.requestId);
  sendResult(msg, outcome);
}

async function invoke(handler: Handler, msg: InvokeMessage): Promise<void> {
  current = msg;
  currentRequestId = msg.requestId;
  process.env["_X_AMZN_TRACE_ID"] = msg.traceId;
  try {
    const payload = await runHandler(handler, msg);
    // Lambda serialises the result; an unserialisable one is an invocation error.
    JSON.stringify(payload === undefined ? null : payload);
    await finish(msg, { ok: true, payload: payload === undefined ? null : payload });
  } catch (err) {
    logError("Invoke Error", err);
    await finish(msg, { ok: false, error: toRapidResponse(err) });
  } finally {
    current = undefined;
  }
}

function fatal(label: string, errorType: string, err: unknown, exitCode: number): never {
  logError(label, err);
  const msg = current;
  // The process ends now, so no waiting on queued output: the environment settles on the result
  // frame when the process exits, markers or not.
  if (msg) sendResult(msg, { ok: false, error: { ...toRapidResponse(err), errorType } });
  process.exit(exitCode);
}

async function main(): Promise<void> {
  patchConsole();
  process.on("uncaughtException", (err) =>
    fatal("Uncaught Exception", isErrorLike(err) ? err.name : "Runtime.UncaughtException", err, 129),
  );
  process.on("unhandledRejection", (reason) =>
    fatal("Unhandled Promise Rejection", "Runtime.UnhandledPromiseRejection", reason, 128),
  );

  let handler: Handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    // The runtime's own errors are Runtime.*; an error the module threw keeps its own type.
    const e = intoError(err);
    logError("Uncaught Exception", e);
    send({ t: "initError", error: { errorType: e.name, errorMessage: e.message, trace: (e.stack ?? "").split("\n") } });
    return;
  }
  send({ t: "ready" });

  // One invocation at a time: the next line is read only after the previous one finished.
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    await invoke(handler, JSON.parse(line) as InvokeMessage);
  }
  // stdin closed: the environment was shut down (or its host died). Nothing is running.
  process.exit(0);
}

await main();
