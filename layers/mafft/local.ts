/**
 * MAFFT for the embedded local cloud, in the layer's own layout (`core/mafft-layer.ts`).
 *
 * Used by: the local cloud (`npm start`), which sets ALIGNER_MAFFT_ROOT of its Lambda environments
 * to the returned `root` and prints `source` in its start-up banner; the aligner tests.
 *
 * - If `npm run build:layer` made the layer zip, it is unpacked (once per zip content) into
 *   `<stateDir>/mafft-layer/zip-<hash>/`: the local cloud then runs exactly what Lambda would.
 * - Otherwise the same layout is assembled from the machine's MAFFT (`apt-get install mafft`):
 *   links to its script and helper folder, and an empty tools folder (the machine has the tools).
 * A second call with nothing changed only checks and returns.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import {
  access,
  constants,
  mkdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { resolveConfig } from "../../core/config.ts";
import { MAFFT_DIR_IN_ZIP, mafftLayout } from "../../core/mafft-layer.ts";
import { REPO_ROOT } from "../../infra/paths.ts";
import { digestFile } from "./sha256.ts";

const run = promisify(execFile);

export interface LocalMafft {
  /** Layer root to put in ALIGNER_MAFFT_ROOT. */
  root: string;
  /** Where it came from, for humans (the start-up banner). */
  source: string;
}

export interface PrepareOptions {
  /** Layer zip to prefer (default: the configured `mafft.layerZip`, relative to the repository). */
  layerZip?: string;
  /** PATH searched for the machine's `mafft` (default: process.env.PATH). */
  searchPath?: string;
}

export class LocalMafftError extends Error {
  override name = "LocalMafftError";
}

export async function prepareLocalMafft(stateDir: string, opts: PrepareOptions = {}): Promise<LocalMafft> {
  const zip = path.resolve(REPO_ROOT, opts.layerZip ?? resolveConfig({ env: process.env }).mafft.layerZip);
  if (existsSync(zip)) return fromZip(zip, stateDir);
  return fromMachine(stateDir, opts.searchPath ?? process.env["PATH"] ?? "");
}

async function helperVersion(binaries: string): Promise<string> {
  try {
    const { stdout } = await run(path.join(binaries, "version"), [], { timeout: 10_000 });
    return stdout.trim();
  } catch {
    return "of unknown version";
  }
}

async function fromZip(zip: string, stateDir: string): Promise<LocalMafft> {
  const hash = (await digestFile(zip)).slice(0, 16);
  const dest = path.join(stateDir, "mafft-layer", `zip-${hash}`);
  const root = path.join(dest, MAFFT_DIR_IN_ZIP);
  const shown = path.relative(process.cwd(), zip) || zip;
  if (!existsSync(path.join(dest, ".complete"))) {
    // Unpack beside the destination, then rename: a crash never leaves a half-unpacked layer.
    const staging = `${dest}.partial-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { recursive: true });
    try {
      await run("unzip", ["-q", "-o", zip, "-d", staging], { maxBuffer: 16 * 1024 * 1024 });
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      const why =
        (e as { code?: unknown }).code === "ENOENT"
          ? "the unzip command is not installed (apt-get install unzip)"
          : (e as Error).message;
      throw new LocalMafftError(`Could not unpack the MAFFT layer ${shown}: ${why}`);
    }
    if (!existsSync(path.join(staging, MAFFT_DIR_IN_ZIP, "bin", "mafft"))) {
      await rm(staging, { recursive: true, force: true });
      throw new LocalMafftError(
        `${shown} is not a MAFFT layer (no ${MAFFT_DIR_IN_ZIP}/bin/mafft inside); rebuild it with npm run build:layer`,
      );
    }
    await writeFile(path.join(staging, ".complete"), `${zip}\n`);
    await rm(dest, { recursive: true, force: true });
    await rename(staging, dest);
  }
  const version = await helperVersion(mafftLayout(root).binaries);
  return { root, source: `MAFFT ${version} from the layer zip ${shown}` };
}

/** The machine's `mafft` script on the search path, and the helper folder its script defaults to. */
async function machineMafft(searchPath: string): Promise<{ script: string; binaries: string }> {
  for (const dir of searchPath.split(":").filter((d) => d !== "")) {
    const candidate = path.join(dir, "mafft");
    try {
      await access(candidate, constants.X_OK);
    } catch {
      continue;
    }
    const script = await realpath(candidate);
    const text = await readFile(script, "utf8");
    // Debian's script: `prefix=/usr/lib/mafft/lib/mafft` when MAFFT_BINARIES is unset.
    const prefix = /^\s*prefix=(\/[^\s"';]+)\s*$/m.exec(text)?.[1];
    if (prefix === undefined || !existsSync(path.join(prefix, "version"))) {
      throw new LocalMafftError(
        `${candidate} does not say where its helpers are (no prefix=... line with a 'version' helper); install Debian's package (apt-get install mafft) or run npm run build:layer`,
      );
    }
    return { script, binaries: prefix };
  }
  throw new LocalMafftError(
    "MAFFT is not installed and no layer zip was built: run `apt-get install mafft` (or `npm run build:layer`)",
  );
}

async function linkTo(link: string, target: string): Promise<void> {
  try {
    if ((await readlink(link)) === target) return;
  } catch {
    // Missing or not a link: (re)create below.
  }
  await rm(link, { recursive: true, force: true });
  await symlink(target, link);
}

async function fromMachine(stateDir: string, searchPath: string): Promise<LocalMafft> {
  const { script, binaries } = await machineMafft(searchPath);
  const root = path.join(stateDir, "mafft-layer", "machine", MAFFT_DIR_IN_ZIP);
  const layout = mafftLayout(root);
  await mkdir(path.dirname(layout.script), { recursive: true });
  await mkdir(layout.toolsBin, { recursive: true });
  await linkTo(layout.script, script);
  await linkTo(layout.binaries, binaries);
  const version = await helperVersion(binaries);
  return { root, source: `MAFFT ${version} installed on this machine (${script}, helpers in ${binaries})` };
}
