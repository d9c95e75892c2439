/** `npm run build`: bundles every function and prints where each bundle went and its size. */
import { statSync } from "node:fs";
import path from "node:path";
import { FUNCTION_SOURCES, type FunctionId } from "../core/names.ts";
import { bundleFunction } from "./bundle.ts";
import { REPO_ROOT } from "./paths.ts";

for (const id of Object.keys(FUNCTION_SOURCES) as FunctionId[]) {
  const started = performance.now();
  const { file } = bundleFunction(id);
  const kib = (statSync(file).size / 1024).toFixed(0);
  console.log(`${id}: ${path.relative(REPO_ROOT, file)} (${kib} KiB, ${(performance.now() - started).toFixed(0)} ms)`);
}
