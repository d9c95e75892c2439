/**
 * The MAFFT layer's layout, defined once.
 *
 * Used by: the layer build (`layers/mafft/build.ts`), the local cloud's copy of it
 * (`layers/mafft/local.ts`, `prepareLocalMafft`), the aligner's MAFFT runner
 * (`functions/aligner/mafft-runner.ts`), the function environment (`core/function-env.ts`) and the
 * chroot proof (`test/aligner/layer.test.ts`). Everything is derived from one root folder, read
 * from the environment variable `MAFFT_ROOT_ENV`; in Lambda it is `/opt/mafft`, because Lambda
 * unpacks layers under `/opt` and the zip holds a top-level `mafft/` folder.
 */
import path from "node:path";

/** The one variable that says where the MAFFT layer is. The local cloud sets it to its own copy. */
export const MAFFT_ROOT_ENV = "ALIGNER_MAFFT_ROOT";

/** Where the layer is in Lambda. */
export const MAFFT_LAYER_ROOT = "/opt/mafft";

/** The top-level folder inside the layer zip (unpacked at /opt, so it becomes MAFFT_LAYER_ROOT). */
export const MAFFT_DIR_IN_ZIP = "mafft";

/**
 * Tools the `mafft` driver script calls that a minimal Amazon Linux 2023 image may lack, provided
 * as links to a static busybox. Measured on MAFFT 7.505's script (measured when the layer was first built).
 */
export const MAFFT_TOOLS = [
  "awk",
  "basename",
  "cat",
  "cp",
  "cut",
  "dirname",
  "env",
  "expr",
  "grep",
  "head",
  "ls",
  "mkdir",
  "mktemp",
  "mv",
  "od",
  "printf",
  "rm",
  "sed",
  "seq",
  "sleep",
  "sort",
  "tail",
  "test",
  "tr",
  "uname",
  "uniq",
  "wc",
  "which",
] as const;

export interface MafftLayout {
  root: string;
  /** The `mafft` driver script (bash). */
  script: string;
  /** Compiled helpers; the script finds them through MAFFT_BINARIES. */
  binaries: string;
  /** The `version` helper: prints the helpers' version, e.g. `7.505`. */
  versionHelper: string;
  /** Busybox and its applet links (MAFFT_TOOLS), first on the script's PATH. */
  toolsBin: string;
  busybox: string;
  /** Copyright files of what the layer ships (MAFFT is BSD, busybox GPL-2). */
  licenses: string;
  /** JSON written by the build: package versions and checksums. */
  manifest: string;
}

export function mafftLayout(root: string = MAFFT_LAYER_ROOT): MafftLayout {
  const binaries = path.join(root, "libexec");
  const toolsBin = path.join(root, "tools", "bin");
  return {
    root,
    script: path.join(root, "bin", "mafft"),
    binaries,
    versionHelper: path.join(binaries, "version"),
    toolsBin,
    busybox: path.join(toolsBin, "busybox"),
    licenses: path.join(root, "licenses"),
    manifest: path.join(root, "LAYER.json"),
  };
}

/** The layer root a function should use: the variable if set, else Lambda's /opt/mafft. */
export function mafftRootFrom(env: Record<string, string | undefined>): string {
  const v = env[MAFFT_ROOT_ENV];
  return v !== undefined && v !== "" ? v : MAFFT_LAYER_ROOT;
}

export interface MafftProcessEnvOptions {
  layout: MafftLayout;
  /** Scratch root (`/tmp` in Lambda): TMPDIR and HOME. */
  tmpDir: string;
  /** Where MAFFT puts its temporary folder: the job's own work folder, so cleaning it removes them. */
  workDir: string;
  /** PATH after the layer's tools (the function's own PATH). */
  basePath?: string;
}

/**
 * The complete environment of a MAFFT process. Built from nothing rather than inherited, so MAFFT
 * never sees the function's AWS credentials. HOME matters only for modes that use `$HOME/maffttmp`
 * when MAFFT_TMPDIR is unset; Lambda's HOME is not writable, so it points at the scratch root.
 */
export function mafftProcessEnv(opts: MafftProcessEnvOptions): Record<string, string> {
  const base = opts.basePath !== undefined && opts.basePath !== "" ? opts.basePath : "/usr/local/bin:/usr/bin:/bin";
  return {
    PATH: `${opts.layout.toolsBin}:${base}`,
    MAFFT_BINARIES: opts.layout.binaries,
    TMPDIR: opts.tmpDir,
    MAFFT_TMPDIR: opts.workDir,
    HOME: opts.tmpDir,
    LANG: "C",
    LC_ALL: "C",
  };
}
