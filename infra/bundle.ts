/**
 * Bundles a function with esbuild into `.build/functions/<name>/index.mjs`: one minified ESM file
 * with the AWS SDK included (pinned by our lockfile, not the runtime's copy). Syntax targets Node 22,
 * not the functions' nodejs24.x: the local cloud runs the very same file on the host's Node (≥ 22.12).
 * The stack zips the folder; the local cloud runs the very same file.
 */
import { buildSync } from "esbuild";
import path from "node:path";
import { FUNCTION_SOURCES, type FunctionId } from "../core/names.ts";
import { BUILD_DIR, REPO_ROOT } from "./paths.ts";

export interface BundleResult {
  /** Folder holding index.mjs (and its source map). */
  dir: string;
  file: string;
}

export function bundleFunction(id: FunctionId, outRoot: string = path.join(BUILD_DIR, "functions")): BundleResult {
  const source = FUNCTION_SOURCES[id];
  const dir = path.join(outRoot, source.suffix);
  const file = path.join(dir, "index.mjs");
  buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: [path.join(REPO_ROOT, source.entry)],
    outfile: file,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    logLevel: "error",
    // Some CommonJS dependencies call require() on Node built-ins; ESM bundles need it defined.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return { dir, file };
}
