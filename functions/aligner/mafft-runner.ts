/**
 * Finds MAFFT in its layer (once per execution environment) and runs it for one job.
 *
 * Finding: the layout comes from one root (`core/mafft-layer.ts`). If the files there are not
 * executable — a package that lost its unix modes — they are copied once to the scratch folder and
 * made executable there (the layer itself is read-only in Lambda), and every later request of the
 * warm environment uses the copy. Then `mafft --version` runs once as a self-test: the script
 * compares its version with the helpers' and exercises bash and the tools it needs.
 *
 * Running: `spawn` with an argument array (never a shell), stdin closed, stdout straight into the
 * output file, stderr into a file that is followed and passed to the caller as it grows, in its own
 * process group so that a kill reaches the helpers MAFFT starts, and with an environment built from
 * nothing (no AWS credentials).
 */
import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, chmod, cp, lstat, open, readdir, readFile, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { StringDecoder } from "node:string_decoder";
import { mafftLayout, mafftProcessEnv, type MafftLayout } from "../../core/mafft-layer.ts";

export class MafftUnavailableError extends Error {
  override name = "MafftUnavailableError";
}

export interface LocatedMafft {
  layout: MafftLayout;
  /** e.g. `7.505`. */
  version: string;
  /** What `mafft --version` printed, e.g. `v7.505 (2022/Apr/10)`. */
  versionLine: string;
  /** "layer": run in place; "copy": copied to the scratch folder and made executable. */
  via: "layer" | "copy";
}

export interface LocateOptions {
  root: string;
  /** Scratch root (`/tmp`): where a copy goes. */
  tmpDir: string;
  basePath?: string;
  /** Bound of the `mafft --version` self-test (default SELF_TEST_TIMEOUT_MS). */
  selfTestTimeoutMs?: number;
}

/** Folder of the executable copy under the scratch root. */
export const MAFFT_COPY_DIR = "mafft-executable";

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** The files that must be executable: the script, every helper, and busybox if the layer has it. */
async function programs(layout: MafftLayout): Promise<string[]> {
  const helpers = (await readdir(layout.binaries)).map((f) => path.join(layout.binaries, f));
  const files = [layout.script, ...helpers];
  if (await exists(layout.busybox)) files.push(layout.busybox);
  return files;
}

async function allExecutable(files: string[]): Promise<boolean> {
  for (const f of files) if (!(await executable(f))) return false;
  return true;
}

export async function locateMafft(opts: LocateOptions): Promise<LocatedMafft> {
  const layer = mafftLayout(opts.root);
  if (!(await exists(layer.script)) || !(await exists(layer.binaries))) {
    throw new MafftUnavailableError(
      `MAFFT is not at ${opts.root} (no ${path.relative(opts.root, layer.script)} or ${path.relative(opts.root, layer.binaries)}/); attach the MAFFT layer (npm run build:layer) or set ALIGNER_MAFFT_ROOT`,
    );
  }
  let layout = layer;
  let via: LocatedMafft["via"] = "layer";
  if (!(await allExecutable(await programs(layer)))) {
    const copyRoot = path.join(opts.tmpDir, MAFFT_COPY_DIR);
    await rm(copyRoot, { recursive: true, force: true });
    await cp(opts.root, copyRoot, { recursive: true, verbatimSymlinks: true });
    layout = mafftLayout(copyRoot);
    for (const f of await programs(layout)) {
      if ((await lstat(f)).isFile()) await chmod(f, 0o755);
    }
    via = "copy";
  }
  const versionLine = await selfTest(layout, opts);
  const version = /v?(\d+\.\d+[a-z]?)/.exec(versionLine)?.[1] ?? versionLine;
  return { layout, version, versionLine, via };
}

/** How long `mafft --version` may take (it answers in milliseconds; a hang must not eat the invocation). */
export const SELF_TEST_TIMEOUT_MS = 15_000;

/** `mafft --version`: exit 0 and a version on stderr, or MAFFT cannot work here. */
async function selfTest(layout: MafftLayout, opts: LocateOptions): Promise<string> {
  const env = mafftProcessEnv({ layout, tmpDir: opts.tmpDir, workDir: opts.tmpDir, basePath: opts.basePath });
  const limitMs = opts.selfTestTimeoutMs ?? SELF_TEST_TIMEOUT_MS;
  const { code, stderr, error, timedOut } = await new Promise<{
    code: number | null;
    stderr: string;
    error?: Error;
    timedOut: boolean;
  }>((resolve) => {
    let stderr = "";
    let timedOut = false;
    // Its own process group, so a kill also reaches what the script started (which would hold stderr open).
    const child = spawn(layout.script, ["--version"], { env, stdio: ["ignore", "ignore", "pipe"], detached: true });
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, limitMs);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
      if (stderr.length < 8192) stderr += d;
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, stderr, error: e, timedOut });
    });
    child.on("close", (c) => {
      clearTimeout(timer);
      resolve({ code: c, stderr, timedOut });
    });
  });
  const line = stderr.trim().split("\n").pop() ?? "";
  if (error !== undefined || timedOut || code !== 0 || !/\d+\.\d+/.test(line)) {
    const said = stderr.trim().replace(/\s+/g, " ").slice(0, 300);
    const why =
      error !== undefined
        ? error.message
        : timedOut
          ? `mafft --version gave no answer in ${limitMs / 1000} s`
          : `exit ${code}: ${said}`;
    throw new MafftUnavailableError(`MAFFT at ${layout.root} does not run (${why})`);
  }
  return line;
}

/**
 * One located MAFFT per execution environment (per root). A failed attempt is forgotten, so the
 * next invocation tries again.
 */
const located = new Map<string, Promise<LocatedMafft>>();
export function mafftFor(opts: LocateOptions): Promise<LocatedMafft> {
  const key = `${opts.root}\0${opts.tmpDir}`;
  let p = located.get(key);
  if (p === undefined) {
    p = locateMafft(opts);
    located.set(key, p);
    p.catch(() => located.delete(key));
  }
  return p;
}

/** Forgets located MAFFTs (tests: a new "execution environment"). */
export function forgetLocatedMafft(): void {
  located.clear();
}

export interface RunOptions {
  mafft: LocatedMafft;
  args: readonly string[];
  inputFile: string;
  outputFile: string;
  /** The job's work folder: MAFFT's temporary files go there. */
  workDir: string;
  tmpDir: string;
  basePath?: string;
  /** Kill MAFFT after this many milliseconds (0 or less: do not start it). */
  timeLimitMs: number;
  onStderr: (text: string) => void;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Killed because the time limit passed. */
  timedOut: boolean;
  durationMs: number;
}

/** How long to wait for killed helpers to be gone (they go in milliseconds; this only bounds a stuck one). */
const GROUP_GONE_TIMEOUT_MS = 2_000;

/**
 * Resolves once no live process (zombies do not count: they run nothing and hold no folder) is
 * left in the process group, or after GROUP_GONE_TIMEOUT_MS. Reads /proc, as Lambda's Linux has;
 * without it, resolves at once.
 */
async function groupGone(pgid: number | undefined): Promise<void> {
  if (pgid === undefined) return;
  const until = Date.now() + GROUP_GONE_TIMEOUT_MS;
  while ((await liveMembers(pgid)) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}

async function liveMembers(pgid: number): Promise<number> {
  let pids: string[];
  try {
    pids = (await readdir("/proc")).filter((p) => /^\d+$/.test(p));
  } catch {
    return 0;
  }
  let live = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (pgrp === String(pgid) && state !== "Z" && state !== "X") live++;
  }
  return live;
}

/** The longest delay setTimeout honours (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** SIGKILL to a process group started with `detached: true` (and so everything its leader started). */
function killGroup(pid: number | undefined): void {
  try {
    if (pid !== undefined) process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export async function runMafft(opts: RunOptions): Promise<RunResult> {
  if (opts.timeLimitMs <= 0) return { exitCode: null, signal: null, timedOut: true, durationMs: 0 };
  // MAFFT's script appends progress to /dev/stderr (`2>>/dev/stderr`). Node's 'pipe' stdio is a
  // socket, which /dev/stderr cannot be opened on (ENXIO), so stderr goes to a file in the work
  // folder (opened for appending, as the script's own `>>` does) and is read while it grows.
  const stderrFile = path.join(opts.workDir, "mafft.stderr");
  const out = await open(opts.outputFile, "w");
  let err: FileHandle | undefined;
  let follower: { stop: () => Promise<void> } | undefined;
  try {
    err = await open(stderrFile, "a");
    follower = await followFile(stderrFile, opts.onStderr);
  } catch (e) {
    await Promise.all([out.close(), err?.close()]);
    throw e;
  }
  const started = performance.now();
  try {
    return await new Promise<RunResult>((resolve, reject) => {
      const env = mafftProcessEnv({
        layout: opts.mafft.layout,
        tmpDir: opts.tmpDir,
        workDir: opts.workDir,
        basePath: opts.basePath,
      });
      const child = spawn(opts.mafft.layout.script, [...opts.args, opts.inputFile], {
        cwd: opts.workDir,
        env,
        stdio: ["ignore", out.fd, err.fd],
        detached: true,
      });
      let timedOut = false;
      const timer = setTimeout(
        () => {
          timedOut = true;
          killGroup(child.pid);
        },
        // Node fires a longer delay after 1 ms (TimeoutOverflowWarning): a context that reports a far
        // deadline would otherwise kill MAFFT at once.
        Math.min(opts.timeLimitMs, MAX_TIMER_MS),
      );
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(new MafftUnavailableError(`MAFFT could not be started: ${e.message}`));
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        const durationMs = performance.now() - started;
        // Helpers MAFFT left behind would keep writing into a folder about to be removed: kill
        // them, and wait until they are gone (a killed process lives on until it is scheduled).
        killGroup(child.pid);
        void groupGone(child.pid).then(() => resolve({ exitCode: code, signal, timedOut, durationMs }));
      });
    });
  } finally {
    try {
      await Promise.all([out.close(), err.close()]);
    } finally {
      // Always: the follower's interval timer would otherwise keep running in the warm environment.
      await follower.stop();
    }
  }
}

/** How often a growing stderr file is read while MAFFT runs. */
const FOLLOW_INTERVAL_MS = 100;

/** Reads a file as it grows (like `tail -f`), passing new text on; `stop` reads the rest. */
async function followFile(file: string, onText: (text: string) => void): Promise<{ stop: () => Promise<void> }> {
  const fd = await open(file, "r");
  const decoder = new StringDecoder("utf8");
  const buf = Buffer.alloc(64 * 1024);
  let offset = 0;
  let reading: Promise<void> = Promise.resolve();
  const readNew = async () => {
    for (;;) {
      const { bytesRead } = await fd.read(buf, 0, buf.length, offset);
      if (bytesRead === 0) return;
      offset += bytesRead;
      const text = decoder.write(buf.subarray(0, bytesRead));
      if (text !== "") onText(text);
    }
  };
  const tick = setInterval(() => {
    reading = reading.then(readNew).catch(() => undefined);
  }, FOLLOW_INTERVAL_MS);
  return {
    async stop() {
      clearInterval(tick);
      try {
        await reading;
        await readNew();
        const rest = decoder.end();
        if (rest !== "") onText(rest);
      } finally {
        await fd.close();
      }
    },
  };
}
