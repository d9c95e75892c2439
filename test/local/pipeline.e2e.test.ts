/**
 * The whole pipeline on the embedded local cloud, end to end through the SDK only: an upload to
 * the input bucket → the real aligner (its esbuild bundle, MAFFT from the layer) in a local Lambda
 * environment → the alignment in the output bucket → the aligner's logs through the subscription
 * → the real log processor → the job record in DynamoDB. Timeouts and retries come from Lambda's
 * own mechanics (a stalled S3 read runs into the function timeout; Lambda retries the event).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { outputKeyFor } from "../../core/output-key.ts";
import { sample, startTestCloud, withoutBookkeeping, type TestCloud } from "../helpers/local-cloud.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("a job on the local cloud", () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud({ overrides: { aligner: { timeoutSeconds: 60 } } });
  });
  afterAll(async () => t?.close());

  it("aligns the MAFFT sample cold, then warm in the same environment, and records both", {
    timeout: 120_000,
  }, async () => {
    const key = "samples/rhodopsins 36.fasta";
    await t.upload(key, sample("input.fasta"));
    await t.cloud.waitForQuiet();

    // The alignment is MAFFT's own expected output (--auto chooses L-INS-i for this input).
    expect(await t.output(outputKeyFor(key))).toBe(sample("expected.linsi.fasta").toString("utf8"));
    const cold = await t.jobFor(key);
    expect(cold).toMatchObject({
      status: "SUCCEEDED",
      coldStart: true,
      attempts: 1,
      memorySizeMb: 2048,
      inputBucket: t.cloud.names.inputBucket,
      sequences: 36,
      outputBucket: t.cloud.names.outputBucket,
      outputKey: outputKeyFor(key),
      mafftArgs: "--auto",
      logGroup: t.cloud.names.logGroups.aligner,
    });
    expect(cold!.initDurationMs).toBeGreaterThan(0);
    expect(cold!.durationMs).toBeGreaterThan(cold!.mafftDurationMs!);
    expect(cold!.billedDurationMs).toBe(Math.ceil(cold!.durationMs! + cold!.initDurationMs!));
    // The sandbox's memory: the runtime plus MAFFT.
    expect(cold!.maxMemoryUsedMb).toBeGreaterThan(40);
    expect(cold!.maxMemoryUsedMb).toBeLessThan(2048);
    expect(Date.parse(cold!.endedAt!)).toBeGreaterThan(Date.parse(cold!.startedAt!));

    const again = "samples/again.fasta";
    await t.upload(again, sample("input.fasta"));
    await t.cloud.waitForQuiet();
    const warm = await t.jobFor(again);
    expect(warm).toMatchObject({ status: "SUCCEEDED", coldStart: false, attempts: 1, logStream: cold!.logStream });
    expect(warm!.initDurationMs).toBeUndefined();
    expect(warm!.maxMemoryUsedMb).toBeGreaterThanOrEqual(cold!.maxMemoryUsedMb!); // a high-water mark

    // What the live path (subscription → processor → table) recorded is what the log group says,
    // read back through FilterLogEvents and derived with the processor's own code.
    const offline = await t.offlineRecords();
    for (const job of [cold!, warm!])
      expect(withoutBookkeeping(job)).toEqual(withoutBookkeeping(offline.get(job.requestId)));
  });

  it("ends an invalid input FAILED with the aligner's message, without a retry", { timeout: 120_000 }, async () => {
    const key = "samples/notes.txt";
    await t.upload(key, sample("bad-not-fasta.txt"));
    await t.cloud.waitForQuiet();
    const job = await t.jobFor(key);
    expect(job).toMatchObject({ status: "FAILED", errorType: "InvalidInput", attempts: 1 });
    expect(job!.errorMessage).toMatch(/^samples\/notes\.txt is not FASTA: /);
    expect(await t.output(outputKeyFor(key))).toBeUndefined();
  });
});

describe("timeouts and retries on the local cloud", () => {
  let t: TestCloud;
  let project: string;
  beforeAll(async () => {
    // local.json where `aligner ... --local` finds it: <project>/.aligner/local.json.
    project = mkdtempSync(path.join(tmpdir(), "aligner-project-"));
    t = await startTestCloud({
      ephemeral: true,
      stateDir: path.join(project, ".aligner"),
      writeEndpointsFile: true,
      overrides: { aligner: { timeoutSeconds: 3, maxRetries: 1 }, mafft: { killMarginMs: 500 } },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(project, { recursive: true, force: true });
  });

  it("times out a job whose S3 read hangs: TIMED_OUT, 2 attempts, then the on-failure destination", {
    timeout: 120_000,
  }, async () => {
    const bucket = t.cloud.names.inputBucket;
    t.cloud.faults.s3.stall({ method: "GET", pathPrefix: `/${bucket}/hangs-always`, ms: 120_000 });
    t.cloud.faults.s3.stall({ method: "GET", pathPrefix: `/${bucket}/hangs-once`, ms: 120_000, count: 1 });
    await Promise.all([
      t.upload("hangs-always.fasta", sample("dna-small.fasta")),
      t.upload("hangs-once.fasta", sample("dna-small.fasta")),
    ]);
    await t.cloud.waitForQuiet();

    // It never got as far as logging what it was working on: find it by the request id S3's event started.
    const timedOut = await t.job(t.requestIdFor("hangs-always.fasta"));
    expect(timedOut).toMatchObject({ status: "TIMED_OUT", attempts: 2 });
    expect(timedOut!.durationMs).toBeGreaterThanOrEqual(3000);

    // The retry reused the request id, in a new environment (a timed-out one is never reused), and succeeded.
    const retried = await t.job(t.requestIdFor("hangs-once.fasta"));
    expect(retried).toMatchObject({ status: "SUCCEEDED", attempts: 2 });
    const starts = (await t.logEvents()).filter((e) => e.message.startsWith(`START RequestId: ${retried!.requestId}`));
    expect(starts).toHaveLength(2);
    expect(new Set(starts.map((e) => e.logStream)).size).toBe(2);
    const reports = (await t.logEvents())
      .filter((e) => e.message.startsWith(`REPORT RequestId: ${retried!.requestId}`))
      .map((e) => e.message);
    expect(reports[0]).toMatch(/\tStatus: timeout\t\n$/);

    // Lambda gave up on the first one: its event is in the on-failure destination.
    const failures = t.cloud.failures.read(t.cloud.names.failureQueues.aligner);
    expect(failures).toEqual([
      expect.objectContaining({
        requestContext: expect.objectContaining({
          requestId: timedOut!.requestId,
          condition: "RetriesExhausted",
          approximateInvokeCount: 2,
        }),
        responsePayload: expect.objectContaining({ errorType: "Sandbox.Timedout" }),
      }),
    ]);
    // ...and `aligner failures --local` shows it, read through the cloud's SQS endpoint (which runs
    // in this process: the CLI is awaited, not run synchronously, so the endpoint can answer).
    const { stdout: out } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO, "bin", "aligner.js"), "failures", "--local", "--json"],
      { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    const lines = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { function: string; requestContext: { requestId: string } });
    expect(lines).toEqual([
      expect.objectContaining({
        function: "aligner",
        requestContext: expect.objectContaining({ requestId: timedOut!.requestId }),
      }),
    ]);
    const { stdout: table } = await promisify(execFile)(
      process.execPath,
      [path.join(REPO, "bin", "aligner.js"), "failures", "--local"],
      { cwd: project, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(table).toContain("RetriesExhausted");
    expect(table).toContain("hangs-always.fasta");
  });
});

describe("the aligner in the JSON log format", () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud({ overrides: { aligner: { logFormat: "JSON" } } });
  });
  afterAll(async () => t?.close());

  it("records the same facts from platform records as from text lines", { timeout: 120_000 }, async () => {
    await t.upload("json/dna.fasta", sample("dna-small.fasta"));
    await t.upload("json/notes.txt", sample("bad-not-fasta.txt"));
    await t.cloud.waitForQuiet();
    const ok = await t.jobFor("json/dna.fasta");
    expect(ok).toMatchObject({ status: "SUCCEEDED", attempts: 1, memorySizeMb: 2048, sequences: 5 });
    expect(ok!.durationMs).toBeGreaterThan(0);
    expect(ok!.maxMemoryUsedMb).toBeGreaterThan(0);
    expect(await t.jobFor("json/notes.txt")).toMatchObject({ status: "FAILED", errorType: "InvalidInput" });
    const events = await t.logEvents();
    expect(JSON.parse(events[0]!.message)).toMatchObject({ type: "platform.initStart", record: { phase: "init" } });
    expect(events.some((e) => e.message.startsWith("START") || e.message.startsWith("REPORT"))).toBe(false);
    const offline = await t.offlineRecords();
    for (const job of await t.jobs())
      expect(withoutBookkeeping(job)).toEqual(withoutBookkeeping(offline.get(job.requestId)));
  });
});
