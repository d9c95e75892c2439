/**
 * Fault injection on the local cloud: the log processor killed in the middle of its writes, the
 * DynamoDB path throttled beyond the SDK's own retries, and the whole local cloud stopped with work
 * in flight and started again. Each time Lambda's retry of the payload (or the journaled queue)
 * must converge to the records the log group itself implies, with nothing stored lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { CloudEvent } from "../../local/cloud.ts";
import { outputKeyFor } from "../../core/output-key.ts";
import { sample, startTestCloud, withoutBookkeeping, type TestCloud } from "../helpers/local-cloud.ts";

type Invocation = Extract<CloudEvent, { type: "invocation" }>;
const processorRuns = (t: TestCloud) =>
  t.events.filter((e): e is Invocation => e.type === "invocation" && e.function === "logProcessor");

async function expectConverged(t: TestCloud): Promise<void> {
  const offline = await t.offlineRecords();
  const jobs = await t.jobs();
  expect(jobs.length).toBe(offline.size);
  for (const job of jobs) expect(withoutBookkeeping(job)).toEqual(withoutBookkeeping(offline.get(job.requestId)));
}

describe("the status pipeline under faults", () => {
  let t: TestCloud;
  beforeAll(async () => {
    // Log batches wait until the test flushes them: one aligner job gives one payload, so a fault hits it alone.
    t = await startTestCloud({ overrides: { local: { logFlushMs: 60_000 } } });
  });
  afterAll(async () => t?.close());

  /** Runs a job to its end, then delivers its logs as one payload with `arm()` in force. */
  async function jobThenPayload(key: string, arm: () => () => void): Promise<void> {
    await t.upload(key, sample("dna-small.fasta"));
    await expect.poll(() => t.cloud.functions.aligner.invoker.pending, { timeout: 60_000 }).toBe(0);
    const disarm = arm();
    try {
      t.cloud.flushLogs();
      await t.cloud.waitForQuiet();
    } finally {
      disarm();
    }
  }

  it("converges after the log processor is killed in the middle of a payload", { timeout: 120_000 }, async () => {
    let killedPid: number | undefined;
    const before = processorRuns(t).length;
    await jobThenPayload("killed/dna.fasta", () =>
      t.cloud.faults.dynamodb.onRequest((r) => {
        if (killedPid !== undefined || r.operation !== "UpdateItem") return;
        // The write is on its way; the environment doing it dies now.
        const busy = t.cloud.functions.logProcessor.pool.environments().find((e) => e.state === "busy");
        killedPid = busy?.pid;
        busy?.kill();
      }),
    );
    expect(killedPid).toBeDefined();
    const runs = processorRuns(t).slice(before);
    const crashed = runs.filter((r) => !r.record.outcome.ok);
    expect(crashed).toHaveLength(1);
    expect(crashed[0]!.record.outcome).toMatchObject({
      ok: false,
      kind: "exit",
      error: { errorType: "Runtime.ExitError" },
    });
    // Lambda retried that payload with the same request id, and it went through.
    expect(
      runs.find((r) => r.record.requestId === crashed[0]!.record.requestId && r.record.attempt === 2)?.record.outcome
        .ok,
    ).toBe(true);
    expect(await t.jobFor("killed/dna.fasta")).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    await expectConverged(t);
  });

  it("converges after DynamoDB fails the processor beyond the SDK's retries, and throttles it", {
    timeout: 120_000,
  }, async () => {
    const before = processorRuns(t).length;
    const injectedBefore = t.cloud.faults.dynamodb.injected;
    await jobThenPayload("throttled/dna.fasta", () => {
      // Five failed reads in a row exhaust the SDK's five attempts: the invocation fails and Lambda retries it.
      const reads = t.cloud.faults.dynamodb.inject({
        operation: "BatchGetItem",
        count: 5,
        error: "InternalServerError",
      });
      // A few throttled writes the SDK absorbs by itself.
      const writes = t.cloud.faults.dynamodb.inject({
        operation: "UpdateItem",
        count: 3,
        error: "ThrottlingException",
      });
      return () => {
        reads();
        writes();
      };
    });
    expect(t.cloud.faults.dynamodb.injected - injectedBefore).toBe(8);
    const runs = processorRuns(t).slice(before);
    const failed = runs.filter((r) => !r.record.outcome.ok);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.record.outcome).toMatchObject({
      ok: false,
      kind: "handler",
      error: { errorType: "InternalServerError" },
    });
    expect(
      runs.find((r) => r.record.requestId === failed[0]!.record.requestId && r.record.attempt === 2)?.record.outcome.ok,
    ).toBe(true);
    expect(await t.jobFor("throttled/dna.fasta")).toMatchObject({ status: "SUCCEEDED" });
    await expectConverged(t);
  });
});

describe("a restart of the local cloud", () => {
  let stateDir: string;
  beforeAll(() => {
    stateDir = mkdtempSync(path.join(tmpdir(), "aligner-state-"));
  });
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it("loses nothing stored, and finishes what was queued when it stopped", { timeout: 120_000 }, async () => {
    const first = await startTestCloud({ stateDir, stopGraceMs: 0 });
    let before: { job: unknown; output: string | undefined; events: unknown[] };
    try {
      await first.upload("kept/dna.fasta", sample("dna-small.fasta"));
      await first.cloud.waitForQuiet();
      before = {
        job: await first.jobFor("kept/dna.fasta"),
        output: await first.output(outputKeyFor("kept/dna.fasta")),
        events: await first.logEvents(),
      };
      expect(before.job).toMatchObject({ status: "SUCCEEDED" });
      // Stopped right after an upload: the job may be queued, or cut short while running.
      await first.upload("queued/rhodopsins.fasta", sample("input.fasta"));
    } finally {
      await first.close();
    }

    const second = await startTestCloud({ stateDir });
    try {
      // Everything stored before the stop is still there: table, objects, logs (same event ids).
      expect(await second.jobFor("kept/dna.fasta")).toEqual(before.job);
      expect(await second.output(outputKeyFor("kept/dna.fasta"))).toBe(before.output);
      expect((await second.logEvents()).slice(0, before.events.length)).toEqual(before.events);
      // And the queued job runs now, with the request id S3's event gave it before the stop.
      await second.cloud.waitForQuiet();
      const queued = await second.jobFor("queued/rhodopsins.fasta");
      expect(queued).toMatchObject({ status: "SUCCEEDED" });
      expect(queued!.requestId).toBe(first.requestIdFor("queued/rhodopsins.fasta"));
      expect(await second.output(outputKeyFor("queued/rhodopsins.fasta"))).toBe(
        sample("expected.linsi.fasta").toString("utf8"),
      );
      expect(second.cloud.failures.read(second.cloud.names.failureQueues.aligner)).toEqual([]);
      await expectConverged(second);
    } finally {
      await second.close();
    }
  });
});
