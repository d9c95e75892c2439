/**
 * An input that is gone by the time the aligner reads it fails the job once (NoSuchKey, no retry),
 * however S3 says so: NoSuchKey; NoSuchVersion for the version the event names (deleted, or
 * expired by the lifecycle rule); or AccessDenied, which S3 answers for a missing key when the role
 * may list only the input prefix (`s3:prefix` on ListBucket) — the aligner then lists the key to
 * tell a missing input from a real denial, which stays a fault and is retried.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Client } from "@aws-sdk/client-s3";
import { readJobEvent } from "../../core/job-events.ts";
import { LOCAL_CREDENTIALS } from "../helpers/s3rver.ts";
import {
  ACCESS_DENIED,
  NO_SUCH_VERSION,
  startS3ErrorProxy,
  type S3ErrorProxy,
  type S3ErrorRule,
} from "../helpers/s3-error-proxy.ts";
import { DATA, INPUT_BUCKET, jobEvents, s3Event, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let sample: string;
const proxies: S3ErrorProxy[] = [];

beforeAll(async () => {
  h = await startHarness();
  sample = await readFile(path.join(DATA, "input.fasta"), "utf8");
});
afterAll(async () => {
  for (const p of proxies) await p.close();
  await h?.close();
});

/** True for a GetObject of an input object (path-style `/<bucket>/<key>`), not a listing. */
const isObjectGet = (r: { method: string; url: URL }) =>
  r.method === "GET" && r.url.pathname.startsWith(`/${INPUT_BUCKET}/`) && !r.url.searchParams.has("list-type");
const isListing = (r: { method: string; url: URL }) => r.method === "GET" && r.url.searchParams.has("list-type");

/** Runs one job through an S3 that answers as `rule` says; returns the failed event (if any) and the thrown error. */
async function runThrough(rule: S3ErrorRule, key: string, versionId?: string) {
  const proxy = await startS3ErrorProxy(h.s3.endpoint, rule);
  proxies.push(proxy);
  const s3 = new S3Client({
    endpoint: proxy.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { ...LOCAL_CREDENTIALS },
    maxAttempts: 1,
  });
  const env = await h.environment({ s3 });
  const event = s3Event([{ key, size: Buffer.byteLength(sample) }]);
  if (versionId !== undefined) event.Records[0]!.s3.object.versionId = versionId;
  const { logs, error } = await env.invoke(event);
  const failed = jobEvents(logs)
    .map((l) => readJobEvent(l))
    .find((e) => e?.jobEvent === "failed");
  expect(await env.leftovers()).toEqual([]);
  return { failed, error, answered: proxy.answered };
}

describe("aligner: an input that is gone", () => {
  it("fails the job without retry when the version the event names no longer exists (NoSuchVersion)", async () => {
    await h.put("versioned.fasta", sample);
    const { failed, error, answered } = await runThrough(
      (r) => (isObjectGet(r) && r.url.searchParams.get("versionId") === "v-deleted" ? NO_SUCH_VERSION : undefined),
      "versioned.fasta",
      "v-deleted",
    );
    expect(answered.map((a) => a.code)).toEqual(["NoSuchVersion"]);
    expect(error).toBeUndefined();
    expect(failed).toMatchObject({ jobEvent: "failed", errorType: "NoSuchKey", inputKey: "versioned.fasta" });
    expect(failed?.jobEvent === "failed" && failed.errorMessage).toBe(
      "versioned.fasta no longer exists in aligner-input: version v-deleted was deleted before the aligner could read it; upload it again.",
    );
  });

  it("fails the job without retry when S3 denies a key that is not there (the role lists only its prefix)", async () => {
    const { failed, error, answered } = await runThrough(
      (r) => (isObjectGet(r) ? ACCESS_DENIED : undefined),
      "never-uploaded.fasta",
    );
    expect(answered.map((a) => a.code)).toEqual(["AccessDenied"]);
    expect(error).toBeUndefined();
    expect(failed?.jobEvent === "failed" && failed.errorMessage).toBe(
      "never-uploaded.fasta no longer exists in aligner-input (it was deleted before the aligner could read it); upload it again.",
    );
  });

  it("keeps a denial of a key that is there a fault, thrown so Lambda retries it", async () => {
    await h.put("denied.fasta", sample);
    // A neighbour with the key as its prefix must not be mistaken for the key.
    await h.put("denied.fasta.bak", sample);
    const { failed, error } = await runThrough((r) => (isObjectGet(r) ? ACCESS_DENIED : undefined), "denied.fasta");
    expect(failed).toBeUndefined();
    expect((error as Error | undefined)?.name).toBe("AccessDenied");
  });

  it("does not take a key for gone when the listing is denied too", async () => {
    const { failed, error } = await runThrough(
      (r) => (isObjectGet(r) || isListing(r) ? ACCESS_DENIED : undefined),
      "unlistable.fasta",
    );
    expect(failed).toBeUndefined();
    expect((error as Error | undefined)?.name).toBe("AccessDenied");
  });

  it("takes a neighbour with the key as its prefix for what it is: not the key", async () => {
    await h.put("gone.fasta.bak", sample);
    const { failed, error } = await runThrough((r) => (isObjectGet(r) ? ACCESS_DENIED : undefined), "gone.fasta");
    expect(error).toBeUndefined();
    expect(failed).toMatchObject({ errorType: "NoSuchKey", inputKey: "gone.fasta" });
  });
});
