/**
 * Clients follow a restarted cloud: `aligner watch --local --follow` runs while `aligner dev` is
 * stopped and started again (new process, new ports, same state folder). The watcher says once
 * that it cannot reach the cloud, then in one line that the cloud restarted, and goes on printing
 * the jobs of the new one — it does not keep knocking on the old port.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { LocalEndpoints } from "../../core/local-endpoints.ts";
import type { JobRecord } from "../../core/jobs-table.ts";
import { s3Client } from "../../aws/clients.ts";
import { sample } from "../helpers/local-cloud.ts";
import { ALIGNER_BIN } from "../helpers/run-cli.ts";

const dir = mkdtempSync(path.join(tmpdir(), "aligner-reconnect-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [ALIGNER_BIN, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function until(what: string, test: () => boolean, timeoutMs = 90_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; Date.now() < end; ) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `aligner dev --json`, once it has written .aligner/local.json. */
async function startCloud(): Promise<{ dev: Running; endpoints: LocalEndpoints }> {
  const dev = start(["dev", "--json", "--stop-grace", "2"]);
  await until("aligner dev to be ready", () => dev.out().includes('"type":"ready"'));
  const endpoints = JSON.parse(readFileSync(path.join(dir, ".aligner", "local.json"), "utf8")) as LocalEndpoints;
  expect(endpoints.pid).toBe(dev.child.pid);
  return { dev, endpoints };
}

async function upload(e: LocalEndpoints, key: string): Promise<void> {
  const s3 = s3Client({ endpoint: e.endpoints.s3, region: e.region, credentials: e.credentials, maxAttempts: 2 });
  await s3.send(new PutObjectCommand({ Bucket: e.resources.inputBucket, Key: key, Body: sample("dna-small.fasta") }));
  s3.destroy();
}

const succeeded = (watch: Running, key: string) => () =>
  watch
    .out()
    .split("\n")
    .filter(Boolean)
    .some((l) => {
      const r = JSON.parse(l) as JobRecord;
      return r.inputKey === key && r.status === "SUCCEEDED";
    });

describe("aligner watch --local --follow across a restart of the local cloud", () => {
  it("says it cannot reach the cloud, then in one line that it restarted, and shows the new cloud's jobs", {
    timeout: 300_000,
  }, async () => {
    const first = await startCloud();
    const watch = start(["watch", "--local", "--follow", "--json"], {
      ALIGNER_WATCH_SETTLE_MS: "200",
      ALIGNER_WATCH_REFRESH_MS: "300",
    });
    await upload(first.endpoints, "before.fasta");
    await until("the first cloud's job to succeed in the watcher", succeeded(watch, "before.fasta"));

    first.dev.child.kill("SIGINT");
    expect(await first.dev.exited).toBe(0);
    await until("the watcher to notice", () => /cannot reach/.test(watch.err()));

    const second = await startCloud();
    expect(second.endpoints.endpoints.dynamodb).not.toBe(first.endpoints.endpoints.dynamodb);
    await upload(second.endpoints, "after.fasta");
    await until("the restarted cloud's job to succeed in the watcher", succeeded(watch, "after.fasta"));

    const said = watch.err().split("\n").filter(Boolean);
    expect(said.filter((l) => l.includes("restarted"))).toEqual([
      `aligner: the local cloud restarted (pid ${second.dev.child.pid}, DynamoDB at ${second.endpoints.endpoints.dynamodb}); reading from it again`,
    ]);
    // The recovery is that one line, not another "reading again" beside it.
    expect(said.filter((l) => l === "aligner: reading again")).toEqual([]);

    watch.child.kill("SIGINT");
    expect(await watch.exited).toBe(0);
    second.dev.child.kill("SIGINT");
    expect(await second.dev.exited).toBe(0);
  });
});
