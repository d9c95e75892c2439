/**
 * Local Lambda execution environments: the real local runtime in child processes, running the
 * fixture handlers of test/local/fixtures, checked line by line against Lambda's formats — and
 * against the project's own log parser, so what the local cloud writes is what the log processor
 * reads from AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ExecutionEnvironment } from "../../local/lambda/environment.ts";
import { FunctionPool } from "../../local/lambda/pool.ts";
import { processAlive as isAlive } from "../../local/endpoints-file.ts";
import { lambdaBench, parsed, type LambdaBench } from "../helpers/local-lambda.ts";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:fixture";
const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z`;

let bench: LambdaBench;
beforeAll(() => {
  bench = lambdaBench();
});
afterAll(() => bench.close());

const envs: ExecutionEnvironment[] = [];
afterAll(async () => {
  await Promise.all(envs.map((e) => e.stop()));
});
function env(handler: string, opts: Parameters<LambdaBench["fn"]>[1] = {}): ExecutionEnvironment {
  const e = new ExecutionEnvironment(bench.fn(handler, opts), bench.host);
  envs.push(e);
  return e;
}
const messages = (e: ExecutionEnvironment) => bench.events(e.logStream).map((x) => x.message);

describe("Text format", () => {
  it("writes INIT_START once, START/END/REPORT per invocation, Init Duration only on the first, in one stream", async () => {
    const e = env("echo", { environment: { CUSTOM: "yes" }, memoryMb: 256, timeoutSeconds: 7 });
    expect(e.logStream).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const id1 = randomUUID();
    const first = await e.invoke(id1, { n: 1 }, ARN);
    const id2 = randomUUID();
    const second = await e.invoke(id2, { n: 2 }, ARN);

    expect(first.coldStart).toBe(true);
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect(second.coldStart).toBe(false);
    expect(second.initDurationMs).toBeUndefined();
    expect(first.logStream).toBe(second.logStream);

    const lines = messages(e);
    expect(lines.filter((m) => m.startsWith("INIT_START"))).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^INIT_START Runtime Version: nodejs:24\.local-v[\d.]+\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}\n$/,
    );
    // The console line written while the module loaded carries no request id yet.
    expect(lines[1]).toMatch(new RegExp(`^${ISO}\tundefined\tINFO\tloaded at init 42\n$`));
    expect(lines).toContain(`START RequestId: ${id1} Version: $LATEST\n`);
    expect(lines).toContain(`END RequestId: ${id1}\n`);
    const reports = lines.filter((m) => m.startsWith("REPORT"));
    expect(reports[0]).toMatch(
      new RegExp(
        `^REPORT RequestId: ${id1}\tDuration: \\d+\\.\\d{2} ms\tBilled Duration: \\d+ ms\tMemory Size: 256 MB\tMax Memory Used: \\d+ MB\tInit Duration: \\d+\\.\\d{2} ms\t\n$`,
      ),
    );
    expect(reports[1]).toMatch(
      new RegExp(
        `^REPORT RequestId: ${id2}\tDuration: \\d+\\.\\d{2} ms\tBilled Duration: \\d+ ms\tMemory Size: 256 MB\tMax Memory Used: \\d+ MB\t\n$`,
      ),
    );

    // The log processor's parser reads the same figures.
    const report = parsed(bench.events(e.logStream)).find((r) => r.kind === "report" && r.requestId === id1);
    expect(report).toMatchObject({ kind: "report", memorySizeMb: 256 });
    if (report?.kind !== "report") throw new Error("no report");
    expect(report.billedDurationMs).toBe(Math.max(1, Math.ceil(report.durationMs! + report.initDurationMs!)));
    expect(report.maxMemoryUsedMb).toBeGreaterThan(10);

    // The context and the environment, as the Node runtime gives them.
    expect(first.outcome.ok).toBe(true);
    const payload = (first.outcome as { payload: { context: Record<string, unknown>; env: Record<string, unknown> } })
      .payload;
    expect(payload.context).toMatchObject({
      awsRequestId: id1,
      functionName: "fixture",
      functionVersion: "$LATEST",
      memoryLimitInMB: "256",
      logGroupName: "/aws/lambda/fixture",
      logStreamName: e.logStream,
      invokedFunctionArn: ARN,
    });
    expect(payload.context["remainingMs"]).toBeGreaterThan(5000);
    expect(payload.context["remainingMs"]).toBeLessThanOrEqual(7000);
    expect(payload.env).toMatchObject({
      CUSTOM: "yes",
      AWS_LAMBDA_LOG_STREAM_NAME: e.logStream,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "256",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
      tmpExists: true,
      leaked: [],
    });
    expect(payload.env["TRACE"]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    // Each environment has its own /tmp, gone with the environment.
    const tmp = String(payload.env["TMPDIR"]);
    expect(tmp.startsWith(bench.host.scratchRoot)).toBe(true);
    await e.stop();
    expect(existsSync(tmp)).toBe(false);
    expect(e.state).toBe("dead");
  });

  it("formats console output as the Node runtime does and passes raw stdout/stderr through unprefixed, one event per line", async () => {
    const e = env("logs");
    const id = randomUUID();
    const r = await e.invoke(id, {}, ARN);
    expect(r.outcome).toEqual({ ok: true, payload: "done" });
    const lines = messages(e);
    const start = lines.indexOf(`START RequestId: ${id} Version: $LATEST\n`);
    const end = lines.indexOf(`END RequestId: ${id}\n`);
    const body = lines.slice(start + 1, end);
    const app = (level: string, text: string) => new RegExp(`^${ISO}\t${id}\t${level}\t${text}\n$`, "s");
    expect(body.some((m) => app("INFO", "hello world").test(m))).toBe(true);
    // A multi-line message stays one event.
    expect(body.some((m) => app("INFO", "multi\nline").test(m))).toBe(true);
    expect(body.some((m) => app("WARN", "careful").test(m))).toBe(true);
    expect(body.some((m) => app("ERROR", "RangeError: logged, not thrown\n    at .*").test(m))).toBe(true);
    expect(body.some((m) => app("DEBUG", "debug detail").test(m))).toBe(true);
    expect(body).toContain("raw stdout line\n");
    expect(body).toContain("from a child process\n");
    // A last partial line is flushed before END.
    expect(body).toContain("raw stderr partial");
    const records = parsed(bench.events(e.logStream).slice(start + 1, end));
    const hello = records.find((x) => x.kind === "app" && x.message.includes("hello world"));
    expect(hello).toMatchObject({ kind: "app", requestId: id, level: "INFO" });
    expect(records.find((x) => x.kind === "text" && x.text.includes("raw stdout line"))).toBeDefined();
  });

  it("keeps non-ASCII text whole however the pipes cut it (console line, raw line and result)", async () => {
    const e = env("unicode");
    const id = randomUUID();
    const text = "αβγ€𝄞".repeat(20_000); // 260 KB: several pipe reads, some ending mid-character
    const r = await e.invoke(id, { repeat: 20_000 }, ARN);
    expect(r.outcome).toEqual({ ok: true, payload: text });
    const lines = messages(e);
    expect(lines.some((m) => m.includes("\uFFFD"))).toBe(false);
    const consoleLine = lines.find((m) => new RegExp(`^${ISO}\t${id}\tINFO\t`).test(m));
    expect(consoleLine?.slice(consoleLine.indexOf("\tINFO\t") + 6)).toBe(`${text}\n`);
    // A raw write larger than the pipe holds is still queued when the handler returns: all of it comes before END.
    expect(lines.slice(0, lines.indexOf(`END RequestId: ${id}\n`))).toContain(`${text}\n`);
  });

  it("logs a thrown error as the runtime's Invoke Error line and reports no Status", async () => {
    const e = env("throws");
    const id = randomUUID();
    const r = await e.invoke(id, {}, ARN);
    expect(r.outcome).toMatchObject({
      ok: false,
      kind: "handler",
      error: { errorType: "TypeError", errorMessage: "boom" },
    });
    const lines = messages(e);
    const invokeError = lines.find((m) => m.includes("Invoke Error"));
    expect(invokeError).toMatch(
      new RegExp(
        `^${ISO}\t${id}\tERROR\tInvoke Error \t\\{"errorType":"TypeError","errorMessage":"boom","stack":\\["TypeError: boom","    at `,
      ),
    );
    const report = lines.find((m) => m.startsWith(`REPORT RequestId: ${id}`))!;
    expect(report).not.toContain("Status:");
    expect(parsed(bench.events(e.logStream)).find((x) => x.kind === "app" && x.invocationError)).toMatchObject({
      error: { errorType: "TypeError", errorMessage: "boom" },
    });
    expect(e.state).toBe("idle"); // a handler error does not end the environment
  });

  it("supports callback handlers", async () => {
    const e = env("callback");
    const id = randomUUID();
    expect((await e.invoke(id, {}, ARN)).outcome).toEqual({ ok: true, payload: { via: "callback", id } });
  });
});

describe("JSON format", () => {
  it("writes platform records and JSON console lines, and drops lines below the INFO level", async () => {
    const e = env("logs", { logFormat: "JSON" });
    const id = randomUUID();
    await e.invoke(id, {}, ARN);
    const lines = messages(e);
    const records = lines.filter((m) => m.startsWith("{")).map((m) => JSON.parse(m) as Record<string, unknown>);
    expect(records[0]).toMatchObject({
      type: "platform.initStart",
      record: { initializationType: "on-demand", phase: "init", functionName: "fixture", functionVersion: "$LATEST" },
    });
    expect(records.find((r) => r["type"] === "platform.start")).toMatchObject({
      record: { requestId: id, version: "$LATEST" },
    });
    const report = records.find((r) => r["type"] === "platform.report") as {
      time: string;
      record: { status: string; metrics: Record<string, number> };
    };
    expect(report.record.status).toBe("success");
    expect(Object.keys(report.record.metrics).sort()).toEqual([
      "billedDurationMs",
      "durationMs",
      "initDurationMs",
      "maxMemoryUsedMB",
      "memorySizeMB",
    ]);
    expect(report.time).toMatch(new RegExp(`^${ISO}$`));
    expect(records.find((r) => r["message"] === "hello world")).toEqual({
      timestamp: expect.stringMatching(new RegExp(`^${ISO}$`)),
      level: "INFO",
      requestId: id,
      message: "hello world",
    });
    expect(records.find((r) => r["level"] === "ERROR")).toMatchObject({
      requestId: id,
      message: { errorType: "RangeError", errorMessage: "logged, not thrown" },
    });
    expect(lines.some((m) => m.includes("debug detail"))).toBe(false);
    expect(lines).not.toContain(`END RequestId: ${id}\n`);
    // Raw writes stay plain text.
    expect(lines).toContain("raw stdout line\n");
    const parsedReport = parsed(bench.events(e.logStream)).find((x) => x.kind === "report");
    expect(parsedReport).toMatchObject({ kind: "report", requestId: id, status: "success", memorySizeMb: 512 });
  });

  it("reports a thrown error as status error with its type", async () => {
    const e = env("throws", { logFormat: "JSON" });
    const id = randomUUID();
    await e.invoke(id, {}, ARN);
    const report = messages(e)
      .map((m) => (m.startsWith("{") ? (JSON.parse(m) as { type?: string; record?: unknown }) : {}))
      .find((r) => r.type === "platform.report");
    expect(report?.record).toMatchObject({ requestId: id, status: "error", errorType: "TypeError" });
  });
});

describe("limits", () => {
  it("kills the whole process tree on timeout and reports Status: timeout", async () => {
    const e = env("hangWithChild", { timeoutSeconds: 1 });
    const pidFile = path.join(bench.dir, `grandchild-${randomUUID()}`);
    const id = randomUUID();
    const started = Date.now();
    const r = await e.invoke(id, { pidFile }, ARN);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(r.outcome).toMatchObject({
      ok: false,
      kind: "timeout",
      error: {
        errorType: "Sandbox.Timedout",
        errorMessage: expect.stringContaining("Task timed out after 1.00 seconds"),
      },
    });
    const report = messages(e).find((m) => m.startsWith(`REPORT RequestId: ${id}`))!;
    expect(report).toMatch(/\tStatus: timeout\t\n$/);
    expect(parsed(bench.events(e.logStream)).find((x) => x.kind === "report")).toMatchObject({ status: "timeout" });
    expect(e.state).toBe("dead");
    // The grandchild ran in its own process group, and is gone too.
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    await expect.poll(() => isAlive(grandchild), { timeout: 3000 }).toBe(false);
  });

  it("kills an environment whose memory passes its size and reports Runtime.OutOfMemory", async () => {
    const e = env("hog", { memoryMb: 160 });
    const id = randomUUID();
    const r = await e.invoke(id, { mb: 400, holdMs: 3000 }, ARN);
    expect(r.outcome).toMatchObject({ ok: false, kind: "outOfMemory", error: { errorType: "Runtime.OutOfMemory" } });
    const report = messages(e).find((m) => m.startsWith(`REPORT RequestId: ${id}`))!;
    expect(report).toContain("\tMemory Size: 160 MB\tMax Memory Used: 160 MB\t");
    expect(report).toMatch(/\tStatus: error\tError Type: Runtime\.OutOfMemory\t\n$/);
    expect(parsed(bench.events(e.logStream)).find((x) => x.kind === "report")).toMatchObject({
      status: "error",
      errorType: "Runtime.OutOfMemory",
    });
    expect(e.state).toBe("dead");
  });

  it("counts child processes in Max Memory Used (the sandbox's high-water mark)", async () => {
    const e = env("childHog", { memoryMb: 1024 });
    const r = await e.invoke(randomUUID(), { mb: 200, holdMs: 600 }, ARN);
    expect(r.outcome.ok).toBe(true);
    // The runtime alone uses well under 100 MB; the grandchild held 200 MB.
    expect(r.maxMemoryUsedMb).toBeGreaterThan(220);
    // High-water: a later, small invocation reports at least as much.
    const again = await e.invoke(randomUUID(), { mb: 1, holdMs: 10 }, ARN);
    expect(again.maxMemoryUsedMb).toBeGreaterThanOrEqual(r.maxMemoryUsedMb);
  });

  it("reports a runtime that exits mid-invocation as Runtime.ExitError", async () => {
    const e = env("crash");
    const id = randomUUID();
    const r = await e.invoke(id, {}, ARN);
    expect(r.outcome).toMatchObject({ ok: false, kind: "exit", error: { errorType: "Runtime.ExitError" } });
    const lines = messages(e);
    expect(lines).toContain(`RequestId: ${id} Error: Runtime exited with error: exit status 3\nRuntime.ExitError\n`);
    expect(lines.find((m) => m.startsWith(`REPORT RequestId: ${id}`))).toMatch(
      /\tStatus: error\tError Type: Runtime\.ExitError\t\n$/,
    );
    expect(e.state).toBe("dead");
  });

  it("fails the invocation and ends the environment on an uncaught exception", async () => {
    const e = env("uncaught");
    const r = await e.invoke(randomUUID(), {}, ARN);
    expect(r.outcome).toMatchObject({ ok: false, error: { errorMessage: "async boom" } });
    expect(messages(e).some((m) => m.includes("\tERROR\tUncaught Exception \t{"))).toBe(true);
    await expect.poll(() => e.state, { timeout: 3000 }).toBe("dead");
  });

  it("reports an init failure with INIT_REPORT and fails the invocation", async () => {
    const e = env("handler", { code: "broken" });
    const id = randomUUID();
    const r = await e.invoke(id, {}, ARN);
    expect(r.outcome).toMatchObject({
      ok: false,
      kind: "init",
      error: { errorType: "Error", errorMessage: "cannot initialise: missing configuration" },
    });
    const lines = messages(e);
    expect(
      lines.some((m) => new RegExp(`^${ISO}\tundefined\tERROR\tUncaught Exception \t\\{"errorType":"Error"`).test(m)),
    ).toBe(true);
    expect(lines.find((m) => m.startsWith("INIT_REPORT"))).toMatch(
      /^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: error\tError Type: Error\n$/,
    );
    expect(lines.find((m) => m.startsWith(`REPORT RequestId: ${id}`))).toMatch(
      /\tStatus: error\tError Type: Error\t\n$/,
    );
    expect(parsed(bench.events(e.logStream)).find((x) => x.kind === "initReport")).toMatchObject({
      phase: "init",
      status: "error",
      errorType: "Error",
    });
    expect(e.state).toBe("dead");
  });

  it("fails the invocation when the runtime process cannot even start, and ends the environment", async () => {
    const e = env("handler", { codeDir: path.join(bench.dir, "no-such-folder") });
    const id = randomUUID();
    const r = await e.invoke(id, {}, ARN);
    expect(r.outcome).toMatchObject({
      ok: false,
      kind: "init",
      error: { errorType: "Runtime.Unknown", errorMessage: expect.stringContaining("cannot start the runtime") },
    });
    expect(messages(e).find((m) => m.startsWith(`REPORT RequestId: ${id}`))).toMatch(
      /\tStatus: error\tError Type: Runtime\.Unknown\t\n$/,
    );
    expect(e.state).toBe("dead");
  });

  it("bounds an init that never finishes (10 s, then the function timeout) and reports an init timeout", {
    timeout: 30_000,
  }, async () => {
    const e = env("handler", { code: "hanging-init", timeoutSeconds: 1 });
    const id = randomUUID();
    const r = await e.invoke(id, {}, ARN);
    expect(r.outcome).toMatchObject({ ok: false, kind: "timeout", error: { errorType: "Sandbox.Timedout" } });
    expect(r.initDurationMs).toBeGreaterThanOrEqual(11_000);
    const lines = messages(e);
    expect(lines.find((m) => m.startsWith("INIT_REPORT"))).toMatch(
      /^INIT_REPORT Init Duration: \d+\.\d{2} ms\tPhase: init\tStatus: timeout\n$/,
    );
    expect(lines.find((m) => m.startsWith(`REPORT RequestId: ${id}`))).toMatch(/\tStatus: timeout\t\n$/);
    expect(e.state).toBe("dead");
  });
});

describe("pool", () => {
  it("reuses the most recently used warm environment, starts new ones only when all are busy, up to the limit", async () => {
    const pool = new FunctionPool(bench.fn("sleep"), bench.host, { concurrency: 2, idleTimeoutMs: 60_000 });
    try {
      const a = pool.invoke(randomUUID(), { ms: 400 }, ARN);
      expect(pool.hasCapacity()).toBe(true);
      const b = pool.invoke(randomUUID(), { ms: 400 }, ARN);
      expect(pool.hasCapacity()).toBe(false);
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.logStream).not.toBe(rb.logStream);
      expect(pool.environments()).toHaveLength(2);
      const c = await pool.invoke(randomUUID(), { ms: 1 }, ARN);
      expect(c.coldStart).toBe(false);
      expect([ra.logStream, rb.logStream]).toContain(c.logStream);
      const d = await pool.invoke(randomUUID(), { ms: 1 }, ARN);
      expect(d.logStream).toBe(c.logStream);
    } finally {
      await pool.stop();
    }
  });

  it("stops environments idle for longer than the idle timeout", async () => {
    const pool = new FunctionPool(bench.fn("sleep"), bench.host, { concurrency: 2, idleTimeoutMs: 200 });
    try {
      const r = await pool.invoke(randomUUID(), { ms: 1 }, ARN);
      const pid = pool.environments()[0]!.pid!;
      expect(isAlive(pid)).toBe(true);
      await expect.poll(() => pool.environments().length, { timeout: 3000 }).toBe(0);
      await expect.poll(() => isAlive(pid), { timeout: 3000 }).toBe(false);
      const next = await pool.invoke(randomUUID(), { ms: 1 }, ARN);
      expect(next.coldStart).toBe(true);
      expect(next.logStream).not.toBe(r.logStream);
    } finally {
      await pool.stop();
    }
  });
});
