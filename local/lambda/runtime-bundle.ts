/**
 * The local runtime (runtime.ts) bundled into one ESM file that plain `node` runs, and the
 * runtime identity the environments print in INIT_START.
 */
import { buildSync } from "esbuild";
import { createHash } from "node:crypto";
import path from "node:path";
import { LAMBDA_RUNTIME } from "../../core/names.ts";
import { REPO_ROOT } from "../../infra/paths.ts";

/** Bundles runtime.ts into `<outDir>/runtime.mjs` and returns that path. */
export function bundleRuntime(outDir: string): string {
  const outfile = path.join(outDir, "runtime.mjs");
  buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: [path.join(REPO_ROOT, "local", "lambda", "runtime.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    logLevel: "error",
  });
  return outfile;
}

/** `nodejs:22.local-v24.x.y`: the shape of Lambda's runtime version, saying it is the local one and which Node runs it. */
export function localRuntimeVersion(region: string): { runtimeVersion: string; runtimeVersionArn: string } {
  const major = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)?.[1] ?? "22";
  const runtimeVersion = `nodejs:${major}.local-${process.version}`;
  const hash = createHash("sha256").update(runtimeVersion).digest("hex");
  return { runtimeVersion, runtimeVersionArn: `arn:aws:lambda:${region}::runtime:${hash}` };
}
