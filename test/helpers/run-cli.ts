/**
 * Runs the real `aligner` (bin/aligner.js) as a child process in a folder, as a user would, and
 * gives back its exit code, stdout and stderr (also when it fails).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const ALIGNER_BIN = path.resolve(import.meta.dirname, "../../bin/aligner.js");

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runAligner(args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [ALIGNER_BIN, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: "1", ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Each non-empty line of `text` as a JSON object. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
