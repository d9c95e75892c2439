/**
 * Asynchronous invocation as Lambda does it, on real local environments running fixture
 * handlers: retries with the same request id after 1 then 2 minutes (divided for the test), the
 * on-failure destination record (RetriesExhausted, EventAgeExceeded), throttling that is not an
 * attempt, and a queue that survives a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { AsyncInvoker, RETRY_DELAYS_MS, type AsyncPolicy } from "../../local/lambda/async-invoker.ts";
import type { InvocationRecord } from "../../local/lambda/environment.ts";
import { FailureStore } from "../../local/lambda/failures.ts";
import { FunctionPool } from "../../local/lambda/pool.ts";
import { lambdaBench, type LambdaBench } from "../helpers/local-lambda.ts";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:fixture";
const DIVISOR = 600; // 60 s → 100 ms, 120 s → 200 ms

let bench: LambdaBench;
let failures: FailureStore;
const cleanups: (() => Promise<void>)[] = [];
beforeAll(() => {
  bench = lambdaBench();
  failures = new FailureStore(path.join(bench.dir, "failures"));
});
afterAll(async () => {
  for (const c of cleanups) await c();
  bench.close();
});

function invoker(
  handler: string,
  policy: Partial<AsyncPolicy> = {},
  opts: { concurrency?: number; journal?: string; queue?: string } = {},
) {
  const pool = new FunctionPool(bench.fn(handler), bench.host, {
    concurrency: opts.concurrency ?? 2,
    idleTimeoutMs: 60_000,
  });
  const queue = opts.queue ?? `q-${randomUUID()}`;
  const inv = new AsyncInvoker(
    pool,
    ARN,
    queue,
    { maxRetries: 2, maxEventAgeSeconds: 3600, retryDelayDivisor: DIVISOR, ...policy },
    opts.journal ?? path.join(bench.dir, `${queue}.jsonl`),
    failures,
  );
  const runs: (InvocationRecord & { attempt: number; at: number })[] = [];
  inv.on("invoked", (r) => runs.push({ ...r, at: Date.now() }));
  cleanups.push(async () => {
    inv.pause();
    await pool.stop();
  });
  return { pool, inv, queue, runs };
}

const idle = (inv: AsyncInvoker) => expect.poll(() => inv.pending, { timeout: 15_000 }).toBe(0);

describe("asynchronous invocation", () => {
  it("retries a failed event with the same request id after Lambda's delays, until it succeeds", async () => {
    const { inv, runs, queue } = invoker("flaky");
    inv.start();
    const counter = path.join(bench.dir, `counter-${randomUUID()}`);
    const id = inv.enqueue({ counter, succeedOn: 3 });
    await idle(inv);
    expect(runs.map((r) => [r.requestId, r.attempt, r.outcome.ok])).toEqual([
      [id, 1, false],
      [id, 2, false],
      [id, 3, true],
    ]);
    expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[0] / DIVISOR);
    expect(runs[2]!.at - runs[1]!.at).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[1] / DIVISOR);
    expect(failures.read(queue)).toEqual([]);
  });

  it("sends the event to the on-failure destination when its retries run out", async () => {
    const { inv, runs, queue } = invoker("flaky", { maxRetries: 1 });
    inv.start();
    const event = { counter: path.join(bench.dir, `counter-${randomUUID()}`), succeedOn: 99 };
    const id = inv.enqueue(event);
    await idle(inv);
    expect(runs.map((r) => r.attempt)).toEqual([1, 2]);
    const [record, ...more] = failures.read(queue);
    expect(more).toEqual([]);
    expect(record).toEqual({
      version: "1.0",
      timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      requestContext: {
        requestId: id,
        functionArn: `${ARN}:$LATEST`,
        condition: "RetriesExhausted",
        approximateInvokeCount: 2,
      },
      requestPayload: event,
      responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
      responsePayload: {
        errorType: "Error",
        errorMessage: `attempt 2 fails (${id})`,
        trace: expect.arrayContaining([`Error: attempt 2 fails (${id})`]),
      },
    });
  });

  it("drops an event older than the maximum event age instead of retrying it", async () => {
    // One retry would wait 600 ms; the event may live 300 ms.
    const { inv, runs, queue } = invoker("flaky", { maxEventAgeSeconds: 0.3, retryDelayDivisor: 100 });
    inv.start();
    const id = inv.enqueue({ counter: path.join(bench.dir, `counter-${randomUUID()}`), succeedOn: 99 });
    await idle(inv);
    expect(runs).toHaveLength(1);
    expect(failures.read(queue)).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          requestId: id,
          condition: "EventAgeExceeded",
          approximateInvokeCount: 1,
        }),
      }),
    ]);
  });

  it("never leaves a due event waiting: many retries due within a millisecond or two all run", async () => {
    const { inv, runs } = invoker("flaky", { retryDelayDivisor: 60_000 }, { concurrency: 3 });
    inv.start();
    const ids = Array.from({ length: 12 }, () =>
      inv.enqueue({ counter: path.join(bench.dir, `counter-${randomUUID()}`), succeedOn: 3 }),
    );
    await idle(inv);
    for (const id of ids) expect(runs.filter((r) => r.requestId === id).map((r) => r.attempt)).toEqual([1, 2, 3]);
  });

  it("sends events to the destination when they age out throttled (a concurrency of 0 never runs anything)", async () => {
    const { inv, runs, queue } = invoker("sleep", { maxEventAgeSeconds: 0.3 }, { concurrency: 0 });
    inv.start();
    const event = { ms: 1 };
    const id = inv.enqueue(event);
    await idle(inv);
    expect(runs).toEqual([]);
    expect(failures.read(queue)).toEqual([
      {
        version: "1.0",
        timestamp: expect.any(String),
        requestContext: {
          requestId: id,
          functionArn: `${ARN}:$LATEST`,
          condition: "EventAgeExceeded",
          approximateInvokeCount: 0,
        },
        requestPayload: event,
      },
    ]);
  });

  it("holds events while every environment is busy (throttling is not an attempt)", async () => {
    const { inv, runs, pool } = invoker("sleep", {}, { concurrency: 1 });
    inv.start();
    const envs = new Set<string>();
    pool.on("environment", (e) => envs.add(e.id));
    for (let i = 0; i < 3; i++) inv.enqueue({ ms: 150 });
    await idle(inv);
    expect(runs.map((r) => [r.attempt, r.outcome.ok])).toEqual([
      [1, true],
      [1, true],
      [1, true],
    ]);
    expect(envs.size).toBe(1);
    // One at a time: each started after the previous one ended.
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.at - runs[i - 1]!.at).toBeGreaterThanOrEqual(140);
  });

  it("keeps queued events in its journal: a new invoker on the same journal runs them with their request ids", async () => {
    const journal = path.join(bench.dir, `journal-${randomUUID()}.jsonl`);
    const first = invoker("sleep", {}, { journal });
    // Never started: the process "stopped" before it could run anything.
    const ids = [first.inv.enqueue({ ms: 1 }), first.inv.enqueue({ ms: 1 })];
    first.inv.pause();
    const second = invoker("sleep", {}, { journal });
    expect(second.inv.pending).toBe(2);
    second.inv.start();
    await idle(second.inv);
    expect(second.runs.map((r) => r.requestId).sort()).toEqual([...ids].sort());
    expect(first.runs).toEqual([]);
  });
});
