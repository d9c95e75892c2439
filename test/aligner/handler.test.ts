/**
 * The real aligner against s3rver with this machine's MAFFT: what a user gets for good inputs.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJobEvent } from "../../core/job-events.ts";
import { parseLogEvent } from "../../core/logs/parse.ts";
import { MAX_USER_METADATA_BYTES, OUTPUT_METADATA, outputKeyFor, userMetadataBytes } from "../../core/output-key.ts";
import { DATA, jobEvents, s3Event, startHarness, type Harness } from "./harness.ts";

let h: Harness;
let sample: string;
let expectedLinsi: string;

beforeAll(async () => {
  h = await startHarness();
  sample = await readFile(path.join(DATA, "input.fasta"), "utf8");
  expectedLinsi = await readFile(path.join(DATA, "expected.linsi.fasta"), "utf8");
});
afterAll(async () => {
  await h?.close();
});

describe("aligner: good inputs", () => {
  it("aligns MAFFT's own sample exactly as MAFFT's expected L-INS-i output (--auto), with metadata and job events", async () => {
    const env = await h.environment();
    const etag = await h.put("runs/opsins.fasta", sample);
    const { logs, error } = await env.invoke(s3Event([{ key: "runs/opsins.fasta", size: Buffer.byteLength(sample) }]), {
      requestId: "11111111-2222-4333-8444-555555555555",
    });
    expect(error).toBeUndefined();

    const out = await h.getOutput("runs/opsins.aligned.fasta");
    expect(out?.body).toBe(expectedLinsi);
    expect(out?.metadata).toMatchObject({
      [OUTPUT_METADATA.requestId]: "11111111-2222-4333-8444-555555555555",
      [OUTPUT_METADATA.mafftVersion]: "7.505",
      [OUTPUT_METADATA.mafftArgs]: "--auto",
      [OUTPUT_METADATA.inputEtag]: etag.replace(/"/g, ""),
      [OUTPUT_METADATA.inputKey]: "runs%2Fopsins.fasta",
      [OUTPUT_METADATA.sequences]: "36",
    });

    const events = jobEvents(logs).map((l) => readJobEvent(l));
    expect(events.map((e) => e?.jobEvent)).toEqual(["accepted", "succeeded"]);
    expect(events[0]).toEqual({
      jobEvent: "accepted",
      inputBucket: "aligner-input",
      inputKey: "runs/opsins.fasta",
      inputBytes: Buffer.byteLength(sample),
      sequences: 36,
      mafftArgs: "--auto",
    });
    expect(events[1]).toMatchObject({
      jobEvent: "succeeded",
      outputBucket: "aligner-output",
      outputKey: "runs/opsins.aligned.fasta",
    });
    // Every line carries the request id, MAFFT's stderr included; the first invocation is a cold start.
    expect(logs.every((l) => l["function_request_id"] === "11111111-2222-4333-8444-555555555555")).toBe(true);
    expect(logs.every((l) => l["cold_start"] === true)).toBe(true);
    const mafftLines = logs.filter((l) => l.message.startsWith("mafft: "));
    expect(mafftLines.length).toBeGreaterThan(5);
    expect(mafftLines.some((l) => l.message.includes("\r"))).toBe(false);
    expect(logs.some((l) => /MAFFT 7\.505 runs from .* in place/.test(l.message))).toBe(true);
    // The log processor's parser reads these lines back as job events of this request.
    const parsed = jobEvents(logs).map((l) => parseLogEvent(JSON.stringify(l)));
    expect(parsed.map((r) => (r?.kind === "job" ? [r.requestId, r.event.jobEvent] : r?.kind))).toEqual([
      ["11111111-2222-4333-8444-555555555555", "accepted"],
      ["11111111-2222-4333-8444-555555555555", "succeeded"],
    ]);
    expect(await env.leftovers()).toEqual([]);
  });

  it("decodes keys with spaces, plus signs and unicode, and handles several records one by one", async () => {
    const env = await h.environment();
    const dna = await readFile(path.join(DATA, "dna-small.fasta"), "utf8");
    const keys = ["my runs/dna small.fasta", "α-β/séquences+1.fa", "plain"];
    for (const k of keys) await h.put(k, dna);
    const { logs, error } = await env.invoke(s3Event(keys.map((key) => ({ key, size: dna.length }))));
    expect(error).toBeUndefined();
    const succeeded = jobEvents(logs)
      .filter((l) => l["jobEvent"] === "succeeded")
      .map((l) => l["outputKey"]);
    expect(succeeded).toEqual(keys.map(outputKeyFor));
    expect(succeeded).toEqual([
      "my runs/dna small.aligned.fasta",
      "α-β/séquences+1.aligned.fasta",
      "plain.aligned.fasta",
    ]);
    for (const k of keys) {
      const out = await h.getOutput(outputKeyFor(k));
      expect(out?.body.match(/^>/gm)?.length).toBe(5);
      expect(decodeURIComponent(out!.metadata[OUTPUT_METADATA.inputKey]!)).toBe(k);
    }
    expect(await env.leftovers()).toEqual([]);
  });

  it("reads the object version its event names (versioned input bucket), and the current one when the event names none", async () => {
    const dna = await readFile(path.join(DATA, "dna-small.fasta"), "utf8");
    await h.put("versions/dna.fasta", dna);
    // s3rver keeps no versions, so what is checked is the request the aligner sends.
    const client = h.s3.client();
    const asked: (string | undefined)[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "GetObjectCommand") asked.push((args.input as { VersionId?: string }).VersionId);
        return next(args);
      },
      { step: "initialize", name: "recordVersionId" },
    );
    const env = await h.environment({ s3: client });
    const versioned = s3Event([{ key: "versions/dna.fasta", size: dna.length }]);
    versioned.Records[0]!.s3.object.versionId = "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd";
    const first = await env.invoke(versioned);
    const second = await env.invoke(s3Event([{ key: "versions/dna.fasta", size: dna.length }]));
    expect(first.error).toBeUndefined();
    expect(second.error).toBeUndefined();
    expect(asked).toEqual(["3HL4kqtJlcpXroDTDmjVBH40Nrjfkd", undefined]);
    expect(jobEvents(first.logs).map((l) => l["jobEvent"])).toEqual(["accepted", "succeeded"]);
    client.destroy();
  });

  it("aligns an input whose key is too long to carry in S3's 2 KB of metadata, leaving only the key out", async () => {
    const env = await h.environment();
    const dna = await readFile(path.join(DATA, "dna-small.fasta"), "utf8");
    const key = `${Array(6).fill("é".repeat(80)).join("/")}/x.fasta`; // 973 bytes; URI-encoded, 2887 characters
    await h.put(key, dna);
    const { logs, error } = await env.invoke(s3Event([{ key, size: dna.length }]));
    expect(error).toBeUndefined();
    expect(jobEvents(logs).map((l) => l["jobEvent"])).toEqual(["accepted", "succeeded"]);
    const out = await h.getOutput(outputKeyFor(key));
    expect(out?.body.match(/^>/gm)).toHaveLength(5);
    expect(out?.metadata).toMatchObject({ [OUTPUT_METADATA.mafftArgs]: "--auto", [OUTPUT_METADATA.sequences]: "5" });
    expect(out?.metadata).not.toHaveProperty(OUTPUT_METADATA.inputKey);
    expect(userMetadataBytes(out?.metadata ?? {})).toBeLessThanOrEqual(MAX_USER_METADATA_BYTES);
    expect(logs.filter((l) => l.level === "WARN").map((l) => l["omittedMetadata"])).toEqual([
      [OUTPUT_METADATA.inputKey],
    ]);
  });

  it("a record that fails does not stop the next one of the same event", async () => {
    const env = await h.environment();
    const dna = await readFile(path.join(DATA, "dna-small.fasta"), "utf8");
    await h.put("mixed/one.fasta", ">only\nACGT\n");
    await h.put("mixed/good.fasta", dna);
    const { logs, error } = await env.invoke(
      s3Event([
        { key: "mixed/one.fasta", size: 11 },
        { key: "mixed/good.fasta", size: dna.length },
      ]),
    );
    expect(error).toBeUndefined();
    expect(jobEvents(logs).map((l) => [l["jobEvent"], l["inputKey"] ?? l["outputKey"]])).toEqual([
      ["failed", "mixed/one.fasta"],
      ["accepted", "mixed/good.fasta"],
      ["succeeded", "mixed/good.aligned.fasta"],
    ]);
    expect(await h.getOutput("mixed/one.aligned.fasta")).toBeUndefined();
    expect((await h.getOutput("mixed/good.aligned.fasta"))?.body.match(/^>/gm)).toHaveLength(5);
    expect(await env.leftovers()).toEqual([]);
  });

  it("uses the MAFFT arguments a job asks for in its metadata", async () => {
    const env = await h.environment();
    await h.put("ginsi.fasta", sample, { "mafft-args": "--globalpair  --maxiterate=1000" });
    const { logs, error } = await env.invoke(s3Event([{ key: "ginsi.fasta", size: sample.length }]));
    expect(error).toBeUndefined();
    expect(jobEvents(logs)[0]?.["mafftArgs"]).toBe("--globalpair --maxiterate 1000");
    const out = await h.getOutput("ginsi.aligned.fasta");
    expect(out?.body).toBe(await readFile(path.join(DATA, "expected.ginsi.fasta"), "utf8"));
    expect(out?.metadata[OUTPUT_METADATA.mafftArgs]).toBe("--globalpair --maxiterate 1000");
  });

  it("ignores records that are not ObjectCreated, folder markers and other buckets", async () => {
    const env = await h.environment();
    const { logs, error } = await env.invoke(
      s3Event([
        { key: "x.fasta", eventName: "ObjectRemoved:Delete" },
        { key: "folder/" },
        { key: "x.fasta", bucket: "aligner-output" },
      ]),
    );
    expect(error).toBeUndefined();
    expect(jobEvents(logs)).toEqual([]);
    expect(logs.map((l) => l.message)).toEqual([
      expect.stringContaining("not an S3 ObjectCreated"),
      expect.stringContaining("folder marker"),
      expect.stringContaining("reads only 'aligner-input'"),
    ]);
  });
});
