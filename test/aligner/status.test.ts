/**
 * The aligner's real log lines, framed by Lambda's platform lines as they land in a log stream,
 * through the log processor's own path (decode → parse → reduce → write, in memory): the job
 * record says what the aligner did — input, output, MAFFT time, or its own failure and sentence.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubscriptionMessage } from "../../core/logs/payload.ts";
import { OfflineStatus } from "../../core/status/offline.ts";
import { DATA, s3Event, startHarness, type Harness, type LogLine } from "./harness.ts";

let h: Harness;
let dna: string;

beforeAll(async () => {
  h = await startHarness();
  dna = await readFile(path.join(DATA, "dna-small.fasta"), "utf8");
});
afterAll(async () => {
  await h?.close();
});

let eventId = 0;
/** One invocation as Lambda's Text format writes it: START, the function's lines, END, REPORT. */
function stream(requestId: string, lines: LogLine[], coldStart: boolean): SubscriptionMessage {
  const t = Date.parse("2026-11-24T10:00:00.000Z");
  const messages = [
    `START RequestId: ${requestId} Version: $LATEST`,
    ...lines.map((l) => JSON.stringify(l)),
    `END RequestId: ${requestId}`,
    `REPORT RequestId: ${requestId}\tDuration: 812.33 ms\tBilled Duration: 813 ms\tMemory Size: 2048 MB\tMax Memory Used: 98 MB\t${coldStart ? "Init Duration: 301.20 ms\t" : ""}`,
  ];
  return {
    messageType: "DATA_MESSAGE",
    owner: "123456789012",
    logGroup: "/aws/lambda/lambda-aligner-aligner",
    logStream: "2026/11/24/[$LATEST]0123456789abcdef0123456789abcdef",
    subscriptionFilters: ["lambda-aligner-status"],
    logEvents: messages.map((message, i) => ({ id: String(++eventId).padStart(56, "0"), timestamp: t + i, message })),
  };
}

describe("the log processor reads the aligner's job events", () => {
  it("a successful job: SUCCEEDED with input, output, sequences, arguments and MAFFT's time", async () => {
    const env = await h.environment();
    await h.put("status/ok.fasta", dna);
    const id = "0f6a3d2e-1b4c-4d5e-8f90-a1b2c3d4e5f6";
    const { logs } = await env.invoke(s3Event([{ key: "status/ok.fasta", size: dna.length }]), { requestId: id });
    const offline = new OfflineStatus();
    await offline.apply([stream(id, logs, true)]);
    const [record] = offline.records();
    expect(record).toMatchObject({
      requestId: id,
      status: "SUCCEEDED",
      coldStart: true,
      inputBucket: "aligner-input",
      inputKey: "status/ok.fasta",
      inputBytes: dna.length,
      sequences: 5,
      mafftArgs: "--auto",
      outputBucket: "aligner-output",
      outputKey: "status/ok.aligned.fasta",
    });
    expect(record?.mafftDurationMs).toBeGreaterThan(0);
  });

  it("a rejected input: FAILED with the aligner's error type and sentence, although the invocation returned normally", async () => {
    const env = await h.environment();
    await h.put("status/one.fasta", ">lonely\nMKV\n");
    const id = "1f6a3d2e-1b4c-4d5e-8f90-a1b2c3d4e5f6";
    const { logs, error } = await env.invoke(s3Event([{ key: "status/one.fasta", size: 12 }]), { requestId: id });
    expect(error).toBeUndefined();
    const offline = new OfflineStatus();
    await offline.apply([stream(id, logs, false)]);
    expect(offline.records()).toEqual([
      expect.objectContaining({
        requestId: id,
        status: "FAILED",
        errorType: "InvalidInput",
        errorMessage: "status/one.fasta holds only one sequence ('lonely'); MAFFT needs at least 2 to align.",
        inputKey: "status/one.fasta",
        attempts: 1,
      }),
    ]);
  });
});
