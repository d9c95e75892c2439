/**
 * How the aligner finds and trusts MAFFT: the direct path and the copy-and-chmod path (a package
 * that lost its unix modes), a MAFFT whose exit code lies, and the esbuild bundle running in its
 * own process with the function environment, as the local cloud and Lambda run it.
 */
import { execFile } from "node:child_process";
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveConfig } from "../../core/config.ts";
import { alignerEnvironment } from "../../core/function-env.ts";
import { readJobEvent } from "../../core/job-events.ts";
import { MAFFT_ROOT_ENV, mafftLayout } from "../../core/mafft-layer.ts";
import { bundleFunction } from "../../infra/bundle.ts";
import { locateMafft, MafftUnavailableError, runMafft } from "../../functions/aligner/mafft-runner.ts";
import { DATA, INPUT_BUCKET, jobEvents, OUTPUT_BUCKET, s3Event, startHarness, type Harness } from "./harness.ts";

const run = promisify(execFile);

let h: Harness;
let dna: string;
let scratch: string;

beforeAll(async () => {
  h = await startHarness();
  dna = await readFile(path.join(DATA, "dna-small.fasta"), "utf8");
  scratch = await mkdtemp(path.join(tmpdir(), "aligner-runner-"));
});
afterAll(async () => {
  await h?.close();
  await rm(scratch, { recursive: true, force: true });
});

/** A layer root holding real copies of this machine's MAFFT files with every execute bit removed. */
async function layerWithoutModes(): Promise<string> {
  const root = path.join(scratch, "no-modes", "mafft");
  const from = mafftLayout(h.mafftRoot);
  const to = mafftLayout(root);
  await mkdir(path.dirname(to.script), { recursive: true });
  await mkdir(to.binaries, { recursive: true });
  await mkdir(to.toolsBin, { recursive: true });
  await copyFile(await realpath(from.script), to.script);
  await chmod(to.script, 0o644);
  for (const f of await readdir(from.binaries)) {
    await copyFile(path.join(from.binaries, f), path.join(to.binaries, f));
    await chmod(path.join(to.binaries, f), 0o644);
  }
  return root;
}

/** A layer whose `mafft` is a stand-in script (its body gets the input file as "$in"). */
async function fakeLayer(name: string, body: string): Promise<string> {
  const root = path.join(scratch, name, "mafft");
  const l = mafftLayout(root);
  await mkdir(path.dirname(l.script), { recursive: true });
  await mkdir(l.binaries, { recursive: true });
  await writeFile(
    l.script,
    `#!/bin/bash\nif [ "$1" = "--version" ]; then echo "v7.505 (stand-in)" >&2; exit 0; fi\nfor in; do :; done\n${body}\n`,
    { mode: 0o755 },
  );
  await writeFile(l.versionHelper, "#!/bin/sh\necho 7.505\n", { mode: 0o755 });
  return root;
}

describe("locating MAFFT", () => {
  it("copies a layer without execute bits to the scratch folder once per environment, chmods it, and aligns with the copy", async () => {
    const root = await layerWithoutModes();
    const env = await h.environment({ mafftRoot: root });
    await h.put("modes/a.fasta", dna);
    const first = await env.invoke(s3Event([{ key: "modes/a.fasta", size: dna.length }]));
    expect(first.error).toBeUndefined();
    expect(jobEvents(first.logs).map((l) => l["jobEvent"])).toEqual(["accepted", "succeeded"]);
    const copied = first.logs.filter((l) => l.message.includes("are not executable, so they were copied"));
    expect(copied).toHaveLength(1);
    expect(copied[0]).toMatchObject({ mafftVia: "copy", mafftRoot: path.join(env.tmpDir, "mafft-executable") });
    expect(await env.leftovers()).toEqual(["mafft-executable"]); // the environment's copy stays; the job's folder does not
    const copyScript = mafftLayout(path.join(env.tmpDir, "mafft-executable")).script;
    const copiedAt = (await stat(copyScript)).mtimeMs;
    expect((await stat(copyScript)).mode & 0o111).not.toBe(0);

    // The next request of the warm environment uses the copy as it is.
    const second = await env.invoke(s3Event([{ key: "modes/a.fasta", size: dna.length }]));
    expect(jobEvents(second.logs).map((l) => l["jobEvent"])).toEqual(["accepted", "succeeded"]);
    expect(second.logs.some((l) => l.message.includes("copied"))).toBe(false);
    expect((await stat(copyScript)).mtimeMs).toBe(copiedAt);
    expect((await h.getOutput("modes/a.aligned.fasta"))?.body.match(/^>/gm)).toHaveLength(5);
  });

  it("runs an executable layer in place, without copying", async () => {
    const env = await h.environment();
    await h.put("direct.fasta", dna);
    const { logs } = await env.invoke(s3Event([{ key: "direct.fasta", size: dna.length }]));
    expect(logs.find((l) => l["mafftVia"] !== undefined)).toMatchObject({ mafftVia: "layer", mafftRoot: h.mafftRoot });
    expect(await env.leftovers()).toEqual([]);
  });
});

describe("time limits", () => {
  it("a deadline further away than a timer can hold (2^40 ms) does not stop MAFFT at once", async () => {
    const env = await h.environment();
    await h.put("far-deadline.fasta", dna);
    const { logs, error } = await env.invoke(s3Event([{ key: "far-deadline.fasta", size: dna.length }]), {
      remainingMs: 2 ** 40,
    });
    expect(error).toBeUndefined();
    expect(jobEvents(logs).map((l) => [l["jobEvent"], l["errorType"]])).toEqual([
      ["accepted", undefined],
      ["succeeded", undefined],
    ]);
  });
});

describe("the runner's own files", () => {
  it("are closed when the stderr consumer throws, and the error reaches the caller", async () => {
    const mafft = await locateMafft({
      root: await fakeLayer("talks", `echo "progress" >&2; cat "$in"`),
      tmpDir: scratch,
    });
    const work = await mkdtemp(path.join(scratch, "consumer-"));
    await writeFile(path.join(work, "in.fasta"), dna);
    const broken = () => {
      throw new Error("consumer failed");
    };
    await expect(
      runMafft({
        mafft,
        args: [],
        inputFile: path.join(work, "in.fasta"),
        outputFile: path.join(work, "out.fasta"),
        workDir: work,
        tmpDir: scratch,
        timeLimitMs: 30_000,
        onStderr: broken,
      }),
    ).rejects.toThrow("consumer failed");
    expect(await openFilesUnder(work)).toEqual([]);
  });
});

describe("a MAFFT that does not answer", () => {
  it("hangs on --version: the self-test gives up, kills what the script started, and says why", async () => {
    const root = path.join(scratch, "hangs", "mafft");
    const l = mafftLayout(root);
    await mkdir(path.dirname(l.script), { recursive: true });
    await mkdir(l.binaries, { recursive: true });
    // A helper that keeps stderr open: waiting for the script's streams to close would wait for it too.
    await writeFile(l.script, "#!/bin/bash\nsleep 31.25 &\nwait\n", { mode: 0o755 });
    await expect(locateMafft({ root, tmpDir: scratch, selfTestTimeoutMs: 300 })).rejects.toThrow(
      new MafftUnavailableError(`MAFFT at ${root} does not run (mafft --version gave no answer in 0.3 s)`),
    );
    expect(await processesRunning("sleep\u000031.25")).toEqual([]);
  });
});

describe("an exit code of 0 proves nothing", () => {
  it("a MAFFT that drops a sequence fails the job as MafftFailed", async () => {
    const env = await h.environment({ mafftRoot: await fakeLayer("drops", `awk '/^>/{n++} n<=4' "$in"`) });
    await h.put("dropped.fasta", dna);
    const { logs, error } = await env.invoke(s3Event([{ key: "dropped.fasta", size: dna.length }]));
    expect(error).toBeUndefined();
    const failed = readJobEvent(jobEvents(logs).at(-1)!);
    expect(failed).toMatchObject({
      errorType: "MafftFailed",
      errorMessage: expect.stringContaining(
        "MAFFT's alignment of dropped.fasta does not hold the input's sequences (MAFFT returned 4 sequences for 5)",
      ),
    });
    expect(await h.getOutput("dropped.aligned.fasta")).toBeUndefined();
  });

  it("a MAFFT that writes nothing, or loses residues, or fails, fails the job as MafftFailed", async () => {
    const cases: [string, string, RegExp][] = [
      ["silent", "exit 0", /^MAFFT wrote no usable alignment for silent\.fasta \(its output is empty/],
      ["shrinks", `sed 's/^ATG//' "$in"`, /record 1 \('seq1'\) with \d+ residues instead of \d+/],
      [
        "crashes",
        `echo "Segmentation fault in tbfast" >&2; exit 3`,
        /^MAFFT exited with status 3 while aligning crashes\.fasta \(MAFFT said: "Segmentation fault in tbfast"\)/,
      ],
    ];
    for (const [name, body, message] of cases) {
      const env = await h.environment({ mafftRoot: await fakeLayer(name, body) });
      await h.put(`${name}.fasta`, dna.replace(/^>.*$/m, ">seq1"));
      const { logs } = await env.invoke(s3Event([{ key: `${name}.fasta`, size: dna.length }]));
      const failed = readJobEvent(jobEvents(logs).at(-1)!);
      expect(failed?.jobEvent === "failed" && failed.errorType).toBe("MafftFailed");
      expect(failed?.jobEvent === "failed" ? failed.errorMessage : "").toMatch(message);
      expect(await env.leftovers()).toEqual([]);
    }
  });
});

describe("an upload that fails mid-file", () => {
  it("throws for Lambda's retry and leaves no file open and nothing on disk", async () => {
    // MAFFT stand-in that returns its input: a valid alignment of two equal sequences, big enough
    // (6 MiB) for a multipart upload, whose second part fails.
    const s3 = failingParts();
    const env = await h.environment({ mafftRoot: await fakeLayer("echo", `cat "$in"`), s3 });
    const residues = "ACGT".repeat(768 * 1024);
    const body = `>a\n${residues}\n>b\n${residues}\n`;
    await h.put("multipart.fasta", body);
    const { logs, error } = await env.invoke(s3Event([{ key: "multipart.fasta", size: body.length }]));
    expect(String(error)).toMatch(/part upload refused/);
    expect(jobEvents(logs).map((l) => l["jobEvent"])).toEqual(["accepted"]);
    expect(await env.leftovers()).toEqual([]);
    expect(s3.aborted()).toBe(1); // no orphaned parts
    expect(await openFilesUnder(env.tmpDir)).toEqual([]);
  });
});

/**
 * A client of the harness's S3 whose UploadPart calls after the first one fail. s3rver has no
 * AbortMultipartUpload, so that call is answered here and counted.
 */
function failingParts(): S3Client & { aborted: () => number } {
  const client = h.s3.client({ maxAttempts: 1 });
  let parts = 0;
  let aborted = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "UploadPartCommand" && ++parts > 1) throw new Error("part upload refused");
      if (context.commandName === "AbortMultipartUploadCommand") {
        aborted++;
        return { output: { $metadata: { httpStatusCode: 204 } }, response: {} } as Awaited<ReturnType<typeof next>>;
      }
      return next(args);
    },
    { step: "initialize", name: "failSecondPart" },
  );
  return Object.assign(client, { aborted: () => aborted });
}

/** Processes whose command line (NUL-separated) contains `text`. */
async function processesRunning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of await readdir("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(text)) found.push(pid);
  }
  return found;
}

/** This process's open file descriptors that point into `dir`. */
async function openFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    if (target.startsWith(dir)) found.push(target);
  }
  return found;
}

describe("the bundle", () => {
  it("bundles with bundleFunction('aligner') and aligns in its own process with the function environment", async () => {
    const { file } = bundleFunction("aligner", path.join(scratch, "bundle"));
    await h.put("bundled run/sample α.fasta", dna);
    const tmp = await mkdtemp(path.join(scratch, "lambda-tmp-"));
    const environment = {
      PATH: process.env["PATH"] ?? "",
      ...alignerEnvironment(resolveConfig({}), { inputBucket: INPUT_BUCKET, outputBucket: OUTPUT_BUCKET }),
      ...h.s3.env(),
      [MAFFT_ROOT_ENV]: h.mafftRoot,
      TMPDIR: tmp,
      AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    };
    const event = s3Event([{ key: "bundled run/sample α.fasta", size: dna.length }]);
    const invoke = `
      const { handler } = await import(process.argv[1]);
      const deadline = Date.now() + 60000;
      const context = { awsRequestId: "99999999-8888-4777-8666-555555555555", functionName: "f", memoryLimitInMB: "2048",
        logGroupName: "/aws/lambda/f", logStreamName: "s", getRemainingTimeInMillis: () => deadline - Date.now() };
      await handler(JSON.parse(process.argv[2]), context);`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", invoke, file, JSON.stringify(event)], {
      env: environment,
      timeout: 60_000,
    });
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(
      lines
        .filter((l) => l["jobEvent"] !== undefined)
        .map((l) => [l["jobEvent"], l["function_request_id"], l["cold_start"]]),
    ).toEqual([
      ["accepted", "99999999-8888-4777-8666-555555555555", true],
      ["succeeded", "99999999-8888-4777-8666-555555555555", true],
    ]);
    expect((await h.getOutput("bundled run/sample α.aligned.fasta"))?.body.match(/^>/gm)).toHaveLength(5);
    expect(await readdir(tmp)).toEqual([]);
  });
});
