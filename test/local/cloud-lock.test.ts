/**
 * One local cloud per state folder, even when two start in the same instant: the lock file is
 * taken exclusively before anything starts (local.json alone is written too late to tell).
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { acquireCloudLock } from "../../local/endpoints-file.ts";
import { startLocalCloud, type LocalCloud } from "../../local/cloud.ts";

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(path.join(tmpdir(), "aligner-lock-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The pid of a process that has ended (so it is certainly not running). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("the local cloud's lock", () => {
  it("is held by one process at a time, released only by its holder, and taken over from a dead one", () => {
    const dir = scratch();
    const lockFile = path.join(dir, "cloud.lock");
    const mine = acquireCloudLock(dir);
    expect("release" in mine).toBe(true);
    // Another live process (our parent) asking for it is told who holds it.
    expect(acquireCloudLock(dir, process.ppid)).toEqual({ heldBy: process.pid });
    if ("release" in mine) mine.release();
    expect(existsSync(lockFile)).toBe(false);

    // A lock left by a process that died is stale: the next cloud takes it.
    writeFileSync(lockFile, `${deadPid()}\n`);
    const taken = acquireCloudLock(dir);
    expect("release" in taken).toBe(true);
    expect(readFileSync(lockFile, "utf8").trim()).toBe(String(process.pid));

    // A release by a process that no longer holds it leaves the new holder's lock alone.
    writeFileSync(lockFile, `${process.ppid}\n`);
    if ("release" in taken) taken.release();
    expect(readFileSync(lockFile, "utf8").trim()).toBe(String(process.ppid));
  });

  it("lets only one of two clouds started at once on the same folder run", { timeout: 120_000 }, async () => {
    const stateDir = path.join(scratch(), ".aligner");
    const started = await Promise.allSettled([
      startLocalCloud({ stateDir, writeEndpointsFile: true }),
      startLocalCloud({ stateDir, writeEndpointsFile: true }),
    ]);
    const running = started
      .filter((r): r is PromiseFulfilledResult<LocalCloud> => r.status === "fulfilled")
      .map((r) => r.value);
    const refused = started.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    try {
      expect(running).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(String(refused[0]!.reason)).toContain(
        `the local cloud is already running from ${stateDir} (pid ${process.pid})`,
      );
    } finally {
      for (const cloud of running) await cloud.stop();
    }
    expect(existsSync(path.join(stateDir, "cloud.lock"))).toBe(false);
    expect(existsSync(path.join(stateDir, "local.json"))).toBe(false);
  });
});
