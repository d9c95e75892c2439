/**
 * Everything that must fail a job: a FAILED job event with one clear sentence, no retry (the
 * invocation returns normally), nothing left in the scratch folder, no output. And the failures that
 * must be retried: thrown, so Lambda's async retry runs.
 */
import { readFile, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Client } from "@aws-sdk/client-s3";
import { readJobEvent, type JobErrorType } from "../../core/job-events.ts";
import { outputKeyFor } from "../../core/output-key.ts";
import { DATA, jobEvents, s3Event, startHarness, type Environment, type Harness, type LogLine } from "./harness.ts";

let h: Harness;
let sample: string;
let env: Environment;

beforeAll(async () => {
  h = await startHarness();
  sample = await readFile(path.join(DATA, "input.fasta"), "utf8");
  env = await h.environment();
});
afterAll(async () => {
  await h?.close();
});

/** Uploads, invokes, and checks the common promises of a permanent failure; returns the failed event. */
async function failsWith(
  key: string,
  body: string | Uint8Array | undefined,
  errorType: JobErrorType,
  opts: { metadata?: Record<string, string>; env?: Environment; size?: number; remainingMs?: number } = {},
) {
  if (body !== undefined) await h.put(key, body, opts.metadata);
  const e = opts.env ?? env;
  const size =
    opts.size ?? (body === undefined ? 100 : typeof body === "string" ? Buffer.byteLength(body) : body.length);
  const { logs, error } = await e.invoke(s3Event([{ key, size }]), { remainingMs: opts.remainingMs });
  expect(error).toBeUndefined(); // returned normally: Lambda does not retry
  const events = jobEvents(logs).map((l) => readJobEvent(l));
  const failed = events.find((ev) => ev?.jobEvent === "failed");
  expect(failed, JSON.stringify(logs, null, 1)).toMatchObject({
    jobEvent: "failed",
    errorType,
    inputBucket: "aligner-input",
    inputKey: key,
  });
  expect(events.some((ev) => ev?.jobEvent === "succeeded")).toBe(false);
  expect(await e.leftovers()).toEqual([]);
  expect(await h.getOutput(outputKeyFor(key))).toBeUndefined();
  const message = failed?.jobEvent === "failed" ? failed.errorMessage : "";
  // One sentence for a human: it names the file and ends with a full stop.
  expect(message).toContain(key);
  expect(message).toMatch(/\.$/);
  expect(message).not.toMatch(/\n/);
  return { message, logs };
}

describe("aligner: inputs that fail the job", () => {
  it("the shared bad inputs: empty, prose, binary", async () => {
    expect(
      (await failsWith("bad-empty.fasta", await readFile(path.join(DATA, "bad-empty.fasta")), "InvalidInput")).message,
    ).toBe("bad-empty.fasta is empty; upload a FASTA file with at least two sequences.");
    expect(
      (await failsWith("bad-not-fasta.txt", await readFile(path.join(DATA, "bad-not-fasta.txt")), "InvalidInput"))
        .message,
    ).toBe(
      `bad-not-fasta.txt is not FASTA: line 1 should start with '>' and a sequence name but it starts with "This file is not a sequence fi…".`,
    );
    expect(
      (await failsWith("bad-binary.bin", await readFile(path.join(DATA, "bad-binary.bin")), "InvalidInput")).message,
    ).toMatch(/^bad-binary\.bin is binary, not FASTA text/);
  });

  it("one sequence, a record without residues, duplicate names, symbols MAFFT would drop", async () => {
    expect((await failsWith("one.fasta", ">only\nMKVLAAGIVG\n", "InvalidInput")).message).toBe(
      "one.fasta holds only one sequence ('only'); MAFFT needs at least 2 to align.",
    );
    expect((await failsWith("hollow.fasta", ">a\nMKV\n>b\n\n>c\nMKV\n", "InvalidInput")).message).toMatch(
      /record 2 \('b', line 3\)/,
    );
    expect(
      (await failsWith("twins.fasta", ">x first\nMKV\n>y\nMKV\n>x second\nMKI\n", "InvalidInput")).message,
    ).toMatch(/names two records 'x' \(records 1 and 3\)/);
    expect((await failsWith("digits.fasta", ">a\nMKV1LA\n>b\nMKVLA\n", "InvalidInput")).message).toMatch(
      /has '1' at line 2, column 4, in record 1 \('a'\)/,
    );
  });

  it("UTF-16 text and a byte-order mark", async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(">a\nMKV\n>b\nMKV\n", "utf16le")]);
    expect((await failsWith("wide.fasta", utf16, "InvalidInput")).message).toMatch(/UTF-16/);
    expect((await failsWith("bom.fasta", `\ufeff>a\nMKV\n>b\nMKV\n`, "InvalidInput")).message).toMatch(
      /byte-order mark/,
    );
  });

  it("letters MAFFT refuses for the kind of sequence (MAFFT's own complaint, translated)", async () => {
    const { message, logs } = await failsWith(
      "dna-with-e.fasta",
      ">a\nACGTACGGTACEGTACGTAGCT\n>b\nACGTACGGTACGTACGTAGCT\n>c\nACGTACGTACGTACGTAGCTA\n",
      "InvalidInput",
    );
    expect(message).toBe(
      "dna-with-e.fasta has 'e' at position 12 of sequence 1, which MAFFT cannot align in this kind of sequence; check the residues, or give --anysymbol to keep unusual symbols.",
    );
    // MAFFT's lines were forwarded with the request id before the failure.
    expect(
      logs.some(
        (l: LogLine) => l.message.includes("Alphabet 'e' is unknown") && typeof l["function_request_id"] === "string",
      ),
    ).toBe(true);
  });

  it("too large for the configured limit: refused before any download, also when the event understates the size", async () => {
    const small = await h.environment({ maxInputBytes: 1000 });
    expect((await failsWith("big.fasta", sample, "InputTooLarge", { env: small })).message).toBe(
      "big.fasta is 16.2 KiB, more than the aligner's limit of 1000 bytes; split it into smaller files, or raise ALIGNER_MAX_INPUT_BYTES.",
    );
    expect((await failsWith("big2.fasta", sample, "InputTooLarge", { env: small, size: 10 })).message).toMatch(
      /^big2\.fasta is 16\.2 KiB, more than/,
    );
  });

  it("too large for the free scratch space", async () => {
    const unlimited = await h.environment({ maxInputBytes: Number.MAX_SAFE_INTEGER });
    const { message } = await failsWith("huge.fasta", undefined, "InputTooLarge", { env: unlimited, size: 2 ** 50 });
    expect(message).toMatch(
      /^huge\.fasta \(1024 TiB\) needs about 4096 TiB of scratch space but only .* is free in .*; raise ALIGNER_EPHEMERAL_STORAGE_MB or split the input\.$/,
    );
  });

  it("MAFFT arguments outside the allow-list", async () => {
    const cases: [string, RegExp][] = [
      ["--add other.fasta", /'--add' is not allowed: it reads another file/],
      ["--op 1;rm", /--op '1;rm' is not allowed: the value must be a number from 0 to 100/],
      ['--exp 1"}system("id")', /'--exp' is not an allowed MAFFT option/],
      ["--clustalout", /the aligner always writes FASTA/],
      ["input.fasta", /'input.fasta' is not an option/],
    ];
    for (const [i, [args, reason]] of cases.entries()) {
      const { message } = await failsWith(`args-${i}.fasta`, sample, "InvalidArguments", {
        metadata: { "mafft-args": args },
      });
      expect(message).toMatch(
        /^args-\d\.fasta asks for MAFFT arguments the aligner does not allow \(x-amz-meta-mafft-args: '.*'\): /,
      );
      expect(message).toMatch(reason);
    }
  });

  it("an object deleted before the aligner reads it", async () => {
    expect((await failsWith("gone.fasta", undefined, "NoSuchKey")).message).toBe(
      "gone.fasta no longer exists in aligner-input (it was deleted before the aligner could read it); upload it again.",
    );
  });
});

describe("aligner: MAFFT runs out of time", () => {
  it("kills MAFFT (and its helpers) when the remaining time falls under the margin, and reports MafftTimeout", async () => {
    const hurried = await h.environment({ killMarginMs: 200 });
    // MAFFT needs ~1.7 s on the sample here; it gets 0.5 s.
    const { message } = await failsWith("slow.fasta", sample, "MafftTimeout", { env: hurried, remainingMs: 700 });
    expect(message).toMatch(
      /^MAFFT did not finish aligning slow\.fasta in the time the function had left \(it was stopped 0 s before the Lambda timeout, after \d+\.\d s\); choose faster options/,
    );
    expect(await processesWorkingIn(hurried.tmpDir)).toEqual([]);
  });

  it("does not start MAFFT at all when the time left is already under the margin", async () => {
    const hurried = await h.environment({ killMarginMs: 5000 });
    const { message } = await failsWith("late.fasta", sample, "MafftTimeout", { env: hurried, remainingMs: 3000 });
    expect(message).toMatch(/after 0\.0 s/);
  });
});

describe("aligner: failures that Lambda retries", () => {
  it("S3 unreachable: the invocation throws, no job event, nothing left behind", async () => {
    const dead = new S3Client({
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 1,
    });
    const offline = await h.environment({ s3: dead });
    const { logs, error } = await offline.invoke(s3Event([{ key: "x.fasta", size: 100 }]));
    dead.destroy();
    expect(error).toBeInstanceOf(Error);
    expect(jobEvents(logs)).toEqual([]);
    expect(
      logs.some(
        (l) => l.level === "ERROR" && l.message === "x.fasta could not be processed now; Lambda will retry the event",
      ),
    ).toBe(true);
    expect(await offline.leftovers()).toEqual([]);
  });

  it("one record failing transiently: the others still run, then the invocation throws", async () => {
    const client = h.s3.client({ maxAttempts: 1 });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        if (context.commandName === "GetObjectCommand" && input.Key === "flaky.fasta")
          throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
        return next(args);
      },
      { step: "initialize", name: "flakyGet" },
    );
    const flaky = await h.environment({ s3: client });
    const dna = await readFile(path.join(DATA, "dna-small.fasta"), "utf8");
    await h.put("flaky.fasta", dna);
    await h.put("steady.fasta", dna);
    const { logs, error } = await flaky.invoke(
      s3Event(["flaky.fasta", "steady.fasta"].map((key) => ({ key, size: dna.length }))),
    );
    expect(String(error)).toMatch(/socket hang up/);
    expect(jobEvents(logs).map((l) => l["jobEvent"])).toEqual(["accepted", "succeeded"]);
    expect(
      logs.some(
        (l) =>
          l.level === "ERROR" && l.message === "flaky.fasta could not be processed now; Lambda will retry the event",
      ),
    ).toBe(true);
    expect(await h.getOutput("steady.aligned.fasta")).toBeDefined();
    expect(await flaky.leftovers()).toEqual([]);
  });

  it("no MAFFT layer: the invocation throws a message that names the fix", async () => {
    const broken = await h.environment({ mafftRoot: "/nonexistent/mafft" });
    const { error, logs } = await broken.invoke(s3Event([{ key: "x.fasta", size: 100 }]));
    expect(String(error)).toMatch(
      /MAFFT is not at \/nonexistent\/mafft .*attach the MAFFT layer \(npm run build:layer\) or set ALIGNER_MAFFT_ROOT/,
    );
    expect(jobEvents(logs)).toEqual([]);
    expect(await broken.leftovers()).toEqual([]);
  });
});

/** Processes whose working directory is inside `dir` (MAFFT's helpers run in its temp folder). */
async function processesWorkingIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if ((await readlink(`/proc/${pid}/cwd`)).startsWith(dir)) found.push(pid);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}
