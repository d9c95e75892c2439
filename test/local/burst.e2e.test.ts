/**
 * 50 uploads at once on the local cloud: more events than environments (the aligner is limited to
 * three at a time here), so they queue, reuse warm environments, and their log streams interleave
 * through the subscription. Every upload must reach a terminal status exactly once: no job lost,
 * none run twice, none recorded twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TERMINAL_STATUSES } from "../../core/jobs-table.ts";
import { outputKeyFor } from "../../core/output-key.ts";
import { sample, startTestCloud, type TestCloud } from "../helpers/local-cloud.ts";

const UPLOADS = 50;

describe("a burst of uploads", () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud({ overrides: { local: { concurrency: 3, logFlushMs: 100 } } });
  });
  afterAll(async () => t?.close());

  it(`takes ${UPLOADS} uploads to a terminal status each, none lost or duplicated`, { timeout: 240_000 }, async () => {
    const base = sample("dna-small.fasta").toString("utf8");
    const keys = Array.from({ length: UPLOADS }, (_, i) => `burst/${String(i).padStart(2, "0")} run.fasta`);
    // Each input differs (a renamed first record), so each alignment is its own.
    await Promise.all(keys.map((key, i) => t.upload(key, base.replace(/^>(\S+)/, `>$1_${i}`))));
    await t.cloud.waitForQuiet({ timeoutMs: 200_000 });

    const jobs = await t.jobs();
    expect(jobs).toHaveLength(UPLOADS);
    expect(new Set(jobs.map((j) => j.requestId)).size).toBe(UPLOADS);
    expect(jobs.map((j) => j.inputKey).sort()).toEqual([...keys].sort());
    for (const j of jobs) {
      expect(TERMINAL_STATUSES).toContain(j.status);
      expect(j).toMatchObject({ status: "SUCCEEDED", attempts: 1 });
    }
    // The aligner ran once per upload, on at most three environments, most of them warm.
    const runs = t.events.filter((e) => e.type === "invocation" && e.function === "aligner");
    expect(runs).toHaveLength(UPLOADS);
    const streams = new Set(jobs.map((j) => j.logStream));
    expect(streams.size).toBeLessThanOrEqual(3);
    expect(jobs.filter((j) => j.coldStart).length).toBe(streams.size);
    expect((await t.outputKeys()).sort()).toEqual(keys.map(outputKeyFor).sort());
    expect(t.cloud.failures.read(t.cloud.names.failureQueues.aligner)).toEqual([]);
    expect(t.cloud.failures.read(t.cloud.names.failureQueues.logProcessor)).toEqual([]);
  });
});
