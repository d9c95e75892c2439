/**
 * One scratch folder for the whole test run, removed at the end. Test processes (vitest's forks)
 * are stopped without running their exit handlers, so per-process temporary folders would stay;
 * helpers write under ALIGNER_TEST_SCRATCH instead (inherited by the forks started after this).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const TEST_SCRATCH_ENV = "ALIGNER_TEST_SCRATCH";

export default function setup(): () => void {
  const dir = mkdtempSync(path.join(tmpdir(), "aligner-test-run-"));
  process.env[TEST_SCRATCH_ENV] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
