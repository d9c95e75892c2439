import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root, so synth works from any working directory. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "..");
export const BUILD_DIR = path.join(REPO_ROOT, ".build");
