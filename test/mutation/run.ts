/**
 * `npm run mutation [-- files or folders of core/] [-- stryker options]`: runs Stryker on core/ (or
 * the named modules) with stryker.config.mjs, then prints each module's score against its target.
 * Examples: `npm run mutation`, `npm run mutation -- core/time-spec.ts core/status`,
 * `npm run mutation -- core/names.ts --concurrency 1`. Exits 0 whatever the scores (it is a
 * measurement, not a gate), 1 when Stryker itself fails, 2 on a path outside core/.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { moduleScores, scoreTable, type MutationReport } from "./scores.ts";

const REPORT = "reports/mutation/mutation.json";

function mutatePatterns(paths: readonly string[]): string[] {
  return paths.map((p) => {
    const rel = path.relative(process.cwd(), path.resolve(p)).split(path.sep).join("/");
    if (!(rel === "core" || rel.startsWith("core/")) || !existsSync(rel)) {
      console.error(`${p} is not a file or folder under core/; name modules as core/<path>.ts or a folder of core/.`);
      process.exit(2);
    }
    return statSync(rel).isDirectory() ? `${rel}/**/*.ts` : rel;
  });
}

const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith("-"));
const paths = firstOption < 0 ? args : args.slice(0, firstOption);
const options = firstOption < 0 ? [] : args.slice(firstOption);
const mutate = paths.length > 0 ? ["--mutate", mutatePatterns(paths).join(",")] : [];

rmSync(REPORT, { force: true }); // a failed run must not leave the last run's scores to be read
const started = Date.now();
const run = spawnSync("npx", ["stryker", "run", ...mutate, ...options], { stdio: "inherit" });
const seconds = Math.round((Date.now() - started) / 1000);
if (run.status !== 0 || !existsSync(REPORT)) {
  console.error(`Stryker failed (exit ${run.status ?? run.signal}); its log above says why.`);
  process.exit(1);
}
const report = JSON.parse(readFileSync(REPORT, "utf8")) as MutationReport;
console.log(`\nMutation scores (${seconds} s; HTML report: reports/mutation/index.html)\n`);
console.log(scoreTable(moduleScores(report)));
