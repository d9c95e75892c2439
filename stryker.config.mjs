// Mutation testing of core/ (npm run mutation; README "Mutation testing"). Not part of npm test.
//
// TypeScript 7 is the native compiler: its npm package has no JavaScript compiler API, so neither
// Stryker's TypeScript checker nor its tsconfig rewrite (which calls ts.parseConfigFileTextToJson)
// can run. Neither is needed: the rewrite only repoints `extends`/`references` paths that leave the
// sandbox, and tsconfig.json has none; mutants that would not type-check are simply run (vitest
// strips types), and `npm run typecheck` checks the real code. So `tsconfigFile` names a file that
// does not exist, which makes Stryker skip the rewrite; tsconfig.json is still copied unchanged
// into the sandbox for vitest.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "test/mutation/vitest.config.ts", related: true },
  coverageAnalysis: "perTest",
  checkers: [],
  tsconfigFile: "no-tsconfig-rewrite.json",
  mutate: ["core/**/*.ts"],
  // Build output, caches and local state stay out of the sandbox (node_modules is linked, not copied).
  ignorePatterns: [
    "/.build",
    "/.aligner",
    "/cdktf.out",
    "/coverage",
    "/layers/mafft/cache",
    "/layers/mafft/dist",
    "/shared",
  ],
  concurrency: 2,
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 85, break: null },
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  clearTextReporter: { allowColor: false, reportTests: false, reportMutants: false },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
