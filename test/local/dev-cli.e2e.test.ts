/**
 * `aligner dev` as a user runs it: a child process that prints its endpoints, writes
 * `.aligner/local.json`, reports invocations, refuses a second instance on the same state
 * folder, and stops cleanly on Ctrl-C (exit 0, local.json removed, no function process left). And
 * `npm start`'s path, `aligner dev --demo`, on a real terminal (tmux): the demo jobs appear and
 * finish in the live view, and `q` stops everything.
 */
import { afterAll, describe, expect, it } from "vitest";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { isLocalEndpoints, type LocalEndpoints } from "../../core/local-endpoints.ts";
import { destinationRecord, FailureStore } from "../../local/lambda/failures.ts";
import { SqsApi } from "../../local/sqs/api.ts";
import { FailureQueues } from "../../local/sqs/queues.ts";
import { s3Client } from "../../aws/clients.ts";
import { sample } from "../helpers/local-cloud.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const CLI = path.join(REPO, "bin", "aligner.js");
const projects: string[] = [];
afterAll(() => {
  for (const p of projects) rmSync(p, { recursive: true, force: true });
});

function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "aligner-dev-"));
  projects.push(dir);
  return dir;
}

/** Processes whose working folder is under `dir` (the function environments run in their bundle folder). */
function processesUnder(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/cwd`).startsWith(dir)) out.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

function lines(child: ChildProcess): {
  next(match: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  all: Record<string, unknown>[];
} {
  const all: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] =
    [];
  createInterface({ input: child.stdout! }).on("line", (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    all.push(line);
    for (const w of [...waiters])
      if (w.match(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
  });
  return {
    all,
    next(match, timeoutMs = 60_000) {
      const seen = all.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        setTimeout(
          () => reject(new Error(`no matching line within ${timeoutMs} ms; got ${JSON.stringify(all).slice(0, 2000)}`)),
          timeoutMs,
        ).unref();
      });
    },
  };
}

describe("aligner dev", () => {
  it("serves, writes local.json, reports invocations, refuses a second instance, and stops cleanly on Ctrl-C", {
    timeout: 120_000,
  }, async () => {
    const cwd = project();
    const child = spawn(process.execPath, [CLI, "dev", "--ephemeral", "--json", "--stop-grace", "2"], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const out = lines(child);
      const ready = await out.next((l) => l["type"] === "ready");
      const file = path.join(cwd, ".aligner", "local.json");
      const written = JSON.parse(readFileSync(file, "utf8")) as LocalEndpoints;
      expect(isLocalEndpoints(written)).toBe(true);
      expect(written).toMatchObject({
        pid: child.pid,
        endpoints: ready["endpoints"] as object,
        resources: ready["resources"] as object,
      });
      const stateDir = String(ready["stateDir"]);

      // A second instance on the same folder says so and exits 1.
      const second = spawnSync(process.execPath, [CLI, "dev", "--ephemeral"], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
        timeout: 60_000,
      });
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/the local cloud is already running from .*\(pid \d+\)/);

      // A client reaches it with what local.json says, and the invocation is reported.
      const s3 = s3Client({
        endpoint: written.endpoints.s3,
        region: written.region,
        credentials: written.credentials,
        maxAttempts: 2,
      });
      await s3.send(
        new PutObjectCommand({
          Bucket: written.resources.inputBucket,
          Key: "cli/dna.fasta",
          Body: sample("dna-small.fasta"),
        }),
      );
      s3.destroy();
      const run = await out.next((l) => l["type"] === "invocation" && l["function"] === "aligner");
      expect(run).toMatchObject({ ok: true, attempt: 1, coldStart: true });
      expect(processesUnder(stateDir).length).toBeGreaterThan(0);

      // Its SQS endpoint answers `aligner failures --local`: no failed events, both queues counted.
      const failures = await promisify(execFile)(process.execPath, [CLI, "failures", "--local"], {
        cwd,
        env: { ...process.env, NO_COLOR: "1" },
      });
      expect(failures.stdout).toMatch(
        /^no failed events \(lambda-aligner-aligner-failures, lambda-aligner-log-processor-failures\)\n/,
      );
      expect(failures.stdout).toContain("aligner: 0 listed; lambda-aligner-aligner-failures holds about 0 message(s)");

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(out.all.at(-1)).toMatchObject({ type: "stopped", queued: 0 });
      expect(existsSync(file)).toBe(false);
      expect(existsSync(stateDir)).toBe(false);
      expect(processesUnder(stateDir)).toEqual([]);
      expect(stderr).toBe("");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("answers bad options and a missing local cloud with a usage error, as every --local command does", () => {
    const cwd = project();
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
    const badPort = run("dev", "--s3-port", "http");
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain("--s3-port must be a port number from 0 to 65535");
    expect(run("dev", "--logs-port", "").status).toBe(2);
    expect(run("dev", "--logs-port", "0x50").status).toBe(2);
    const twoTargets = run("failures", "--local", "--outputs", "outputs.json");
    expect(twoTargets.status).toBe(2);
    expect(twoTargets.stderr).toContain("--local and --outputs name two different targets");
    const badFunction = run("failures", "--local", "--function", "mafft");
    expect(badFunction.status).toBe(2);
    const none = run("failures", "--local");
    expect(none.status).toBe(2);
    expect(run("history", "--local").status).toBe(2);
    expect(none.stderr).toContain("no local cloud found");
  });
});

describe("aligner failures --local", () => {
  it("reads through SQS the queues the running cloud named, whatever this shell's ALIGNER_PREFIX says", async () => {
    const cwd = project();
    const failures = path.join(cwd, ".aligner", "failures");
    const store = new FailureStore(failures);
    const record = destinationRecord({
      requestId: "3f1e2d4c-0000-4000-8000-000000000001",
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:lab-aligner",
      condition: "RetriesExhausted",
      invokeCount: 3,
      payload: { Records: [] },
      lastError: undefined,
    });
    store.put("lab-aligner-failures", record);
    // The running cloud's SQS endpoint over that store (the other services are never called).
    const sqs = new SqsApi(
      new FailureQueues(failures, ["lab-aligner-failures", "lab-log-processor-failures"]),
      {},
      { region: "us-east-1", accountId: "000000000000" },
    );
    const sqsEndpoint = await sqs.listen(0);
    const endpoints: LocalEndpoints = {
      version: 1,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      endpoints: {
        s3: "http://127.0.0.1:1",
        dynamodb: "http://127.0.0.1:1",
        logs: "http://127.0.0.1:1",
        sqs: sqsEndpoint,
      },
      resources: {
        inputBucket: "lab-input",
        outputBucket: "lab-output",
        jobsTable: "lab-jobs",
        alignerFunction: "lab-aligner",
        logProcessorFunction: "lab-log-processor",
        alignerLogGroup: "/aws/lambda/lab-aligner",
        logProcessorLogGroup: "/aws/lambda/lab-log-processor",
      },
      failureStore: failures,
      failureQueues: { aligner: "lab-aligner-failures", logProcessor: "lab-log-processor-failures" },
    };
    writeFileSync(path.join(cwd, ".aligner", "local.json"), JSON.stringify(endpoints));
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
    delete env["ALIGNER_PREFIX"]; // the default prefix would name lambda-aligner-aligner-failures
    // Not spawnSync: the endpoint runs in this process and must answer meanwhile.
    const r = await promisify(execFile)(process.execPath, [CLI, "failures", "--local", "--json"], {
      cwd,
      encoding: "utf8",
      env,
    }).finally(() => sqs.close());
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ function: "aligner", ...record }]);

    // A damaged file is refused in one sentence, not followed into a crash.
    const { failureStore: _dropped, ...damaged } = endpoints;
    writeFileSync(path.join(cwd, ".aligner", "local.json"), JSON.stringify(damaged));
    const refused = spawnSync(process.execPath, [CLI, "failures", "--local"], { cwd, encoding: "utf8", env });
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim()).toMatch(
      /local\.json is not a local cloud file this version understands; restart the local cloud with aligner dev$/,
    );
  });
});

describe("aligner dev when something is in the way", () => {
  it("answers a port that is taken with a usage error, and leaves no local.json behind", {
    timeout: 60_000,
  }, async () => {
    const cwd = project();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const taken = String((blocker.address() as AddressInfo).port);
      const r = spawnSync(process.execPath, [CLI, "dev", "--ephemeral", "--dynamodb-port", taken], {
        cwd,
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
        timeout: 50_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("a port is already in use");
      expect(existsSync(path.join(cwd, ".aligner", "local.json"))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("stops cleanly on a Ctrl-C that comes while it is still starting", { timeout: 60_000 }, async () => {
    const cwd = project();
    const child = spawn(process.execPath, [CLI, "dev", "--ephemeral"], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await new Promise<void>((resolve) =>
        child.stdout!.on("data", (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes("starting the local cloud")) resolve();
        }),
      );
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(stderr).toBe("");
      expect(stdout).toMatch(/stopped in \d+\.\d s/);
      expect(stdout).not.toContain("ready; Ctrl-C stops.");
      // Nothing left: local.json, the temporary state folder, function processes.
      expect(existsSync(path.join(cwd, ".aligner", "local.json"))).toBe(false);
      const state = /state\s+(\S+) \(temporary/.exec(stdout)?.[1];
      expect(state).toBeDefined();
      expect(existsSync(path.resolve(cwd, state!))).toBe(false);
      expect(processesUnder(path.resolve(cwd, state!))).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

describe.runIf(hasTmux)("npm start (aligner dev --demo) on a terminal", () => {
  it("shows the demo jobs finishing in the live view, and q stops everything", { timeout: 180_000 }, async () => {
    const cwd = project();
    const socket = `aligner-test-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
    const done = path.join(cwd, "exit-code");
    // CI=true as on a CI machine: the live view must still draw (Ink alone would go non-interactive).
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} dev --demo --ephemeral --stop-grace 1; echo $? > ${JSON.stringify(done)}`;
    expect(
      tmux(
        "new-session",
        "-d",
        "-s",
        "demo",
        "-x",
        "180",
        "-y",
        "40",
        "-c",
        cwd,
        `CI=true PATH=${JSON.stringify(process.env["PATH"] ?? "")} bash -c ${JSON.stringify(command)}`,
      ).status,
    ).toBe(0);
    const screen = () => tmux("capture-pane", "-p", "-t", "demo").stdout;
    try {
      // The three valid small inputs succeed; the prose fails with the aligner's reason.
      await expect
        .poll(() => (screen().match(/SUCCEEDED/g) ?? []).length, { timeout: 150_000, interval: 500 })
        .toBeGreaterThanOrEqual(4);
      const view = screen();
      expect(view).toMatch(/dna small\.fasta\s+SUCCEEDED/);
      expect(view).toMatch(/rhodopsins-36\.fasta\s+SUCCEEDED/);
      expect(view).toMatch(/amplicons-60\.fasta\s+SUCCEEDED/);
      expect(view).toMatch(/not-a-fasta\.txt\s+FAILED.*InvalidInput/);
      expect(view).toContain("local cloud");
      expect(existsSync(path.join(cwd, ".aligner", "local.json"))).toBe(true);

      tmux("send-keys", "-t", "demo", "q");
      await expect.poll(() => existsSync(done), { timeout: 30_000, interval: 250 }).toBe(true);
      expect(readFileSync(done, "utf8").trim()).toBe("0");
      expect(existsSync(path.join(cwd, ".aligner", "local.json"))).toBe(false);
    } finally {
      tmux("kill-server");
    }
  });
});
