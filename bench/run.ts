/**
 * `npm run bench [name...]`: runs the benchmarks in bench/ (each `*.bench.ts` prints its own
 * figures as ratios against a baseline measured in the same run), one after another.
 */
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
if (benches.length === 0) {
  console.error(wanted.length ? `no benchmark matches ${wanted.join(", ")}` : "no benchmarks yet");
  process.exit(wanted.length ? 2 : 0);
}
let failed = 0;
for (const file of benches) {
  console.log(`\n## ${file}`);
  const run = spawnSync(process.execPath, ["--import", "tsx", path.join(dir, file)], { stdio: "inherit" });
  if (run.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
