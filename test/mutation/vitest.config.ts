/**
 * The test set Stryker runs against each mutant of core/: the unit tests of core/ (no servers, no
 * child processes), so a full run finishes in minutes on two cores. New tests of core/ go under
 * test/core/ and are picked up here.
 */
import { defineConfig } from "vitest/config";
import base from "../../vitest.config.ts";

export const MUTATION_TESTS = ["test/core/**/*.test.ts", "test/aligner/core.test.ts", "test/cli/units.test.ts"];

// Everything else as `npm test` runs it (global setup, timeouts); only the files differ.
export default defineConfig({ ...base, test: { ...base.test, include: MUTATION_TESTS } });
