/**
 * `<stateDir>/local.json` (`.aligner/local.json` by default): how the other `aligner` commands
 * find a running local cloud. Written by `aligner dev` when everything is up, removed when it
 * stops; a file left by a process that died is recognised by its pid.
 */
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isLocalEndpoints, LOCAL_ENDPOINTS_FILE, type LocalEndpoints } from "../core/local-endpoints.ts";
import { writeJsonAtomic } from "./journal.ts";

export function localEndpointsPath(stateDir: string): string {
  return path.join(stateDir, LOCAL_ENDPOINTS_FILE);
}

export function writeLocalEndpoints(stateDir: string, endpoints: LocalEndpoints): void {
  writeJsonAtomic(localEndpointsPath(stateDir), endpoints);
}

/** The file's content, or undefined when there is none (or it is not a local.json). */
export function readLocalEndpoints(stateDir: string): LocalEndpoints | undefined {
  const file = localEndpointsPath(stateDir);
  if (!existsSync(file)) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(file, "utf8"));
    return isLocalEndpoints(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` still runs: how a local.json left by a cloud that died is told from a
 * running one (`EPERM`: it exists but belongs to someone else).
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes the file if the process `pid` wrote it (never another cloud's). */
export function removeLocalEndpoints(stateDir: string, pid: number): void {
  if (readLocalEndpoints(stateDir)?.pid === pid) unlinkSync(localEndpointsPath(stateDir));
}

const LOCK_FILE = "cloud.lock";
/** Locks this process holds: a file naming our pid but not in here was left by an earlier process with the same pid. */
const heldHere = new Set<string>();

/**
 * Takes `<stateDir>/cloud.lock` for process `pid`, the one local cloud of that folder: created
 * exclusively (O_EXCL), so of two clouds started in the same instant only one gets it — the
 * local.json check alone could not tell, as that file is written only once everything is up.
 * A lock left by a process that died is taken over. Returns the holder's pid when another
 * running process holds it, else a function that releases it.
 */
export function acquireCloudLock(
  stateDir: string,
  pid: number = process.pid,
): { release: () => void } | { heldBy: number } {
  mkdirSync(stateDir, { recursive: true });
  const file = path.join(stateDir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${pid}\n`, { flag: "wx" });
      if (pid === process.pid) heldHere.add(file);
      return {
        release: () => {
          heldHere.delete(file);
          if (lockHolder(file) === pid) unlinkSync(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const holder = lockHolder(file);
    if (holder !== undefined && (holder === process.pid ? heldHere.has(file) : processAlive(holder)))
      return { heldBy: holder };
    // An empty file is a lock being written this instant: look again before calling it stale.
    if (holder === undefined && attempt === 0) continue;
    if (attempt >= 2) throw new Error(`cannot take ${file}: remove it if no local cloud is running`);
    try {
      unlinkSync(file);
    } catch {
      // Another process removed the stale lock first; the next attempt competes for a new one.
    }
  }
}

function lockHolder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
