/**
 * `<stateDir>/local.json` (`.aligner/local.json` by default): how the other `aligner` commands
 * find a running local cloud. Written by `aligner dev` when everything is up, removed when it
 * stops; a file left by a process that died is recognised by its pid.
 */
import { existsSync, readFileSync, unlinkSync } from "node:fs";
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
