/**
 * `npm run build:layer`: builds the MAFFT Lambda layer zip, self-contained and reproducible.
 *
 *   npm run build:layer [-- --from mafft-<v>-linux.tgz] [--out <zip>] [--cache <dir>] [--json]
 *
 * Contents (layout from core/mafft-layer.ts, under a top-level `mafft/`, so Lambda unpacks it at
 * /opt/mafft): Debian's `mafft` package (driver script + compiled helpers, which need only glibc
 * ≤ 2.29, so they run on Amazon Linux 2023), or with `--from` the upstream portable tarball; plus
 * Debian's static busybox with links for every tool the script calls that a minimal Lambda image
 * may lack; copyright files; LAYER.json (versions and checksums).
 *
 * Packages come from `apt-get download` (checked against the archive's SHA-256, cached in
 * layers/mafft/cache) and `dpkg-deb -x`, so no root is needed. Reproducible: the same packages
 * give the same zip bytes — fixed modes (0755/0644) and mtimes, entries in sorted order, no
 * uid/gid or extra timestamp fields (`zip -X`), symlinks stored as links (`zip -y`).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import {
  chmod,
  copyFile,
  lstat,
  lutimes,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { resolveConfig } from "../../core/config.ts";
import { MAFFT_DIR_IN_ZIP, MAFFT_TOOLS, mafftLayout } from "../../core/mafft-layer.ts";
import { REPO_ROOT } from "../../infra/paths.ts";
import { digestFile } from "./sha256.ts";

const exec = promisify(execFile);

export class LayerBuildError extends Error {
  override name = "LayerBuildError";
}

/** The package given with --from is missing or is not MAFFT's portable package: the user's input, exit 2. */
export class LayerInputError extends LayerBuildError {
  override name = "LayerInputError";
}

export interface LayerBuildOptions {
  /** Where the zip goes (default: the configured `mafft.layerZip`). */
  out?: string;
  /** Downloaded packages are kept here (default: layers/mafft/cache). */
  cacheDir?: string;
  /** Upstream portable tarball (`mafft-<v>-linux.tgz`) instead of Debian's mafft package. */
  from?: string;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
}

export interface PackageInfo {
  name: string;
  version: string;
  file: string;
  sha256: string;
}

export interface LayerBuildResult {
  zip: string;
  bytes: number;
  sha256: string;
  mafftVersion: string;
  mafftSource: string;
  busyboxVersion: string;
}

/** Every file of the layer has this mtime (SOURCE_DATE_EPOCH overrides it, as in other reproducible builds). */
function fixedTime(): Date {
  const epoch = process.env["SOURCE_DATE_EPOCH"];
  return epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date("2000-01-01T00:00:00Z");
}

async function tool(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const err = e as { code?: unknown; stderr?: string };
    if (err.code === "ENOENT")
      throw new LayerBuildError(
        `${cmd} is not installed; the layer build needs apt-get, dpkg-deb and zip (a Debian or Ubuntu machine: apt-get install zip)`,
      );
    const detail = (err.stderr ?? String(e))
      .trim()
      .split("\n")
      .filter((l) => !l.startsWith("W: "))
      .slice(-3)
      .join(" ");
    throw new LayerBuildError(`${cmd} ${args.join(" ")} failed: ${detail}`);
  }
}

/**
 * The archive's current version of each package, downloaded into the cache unless a file with the
 * archive's checksum is already there.
 */
export async function fetchDebs(
  names: string[],
  cacheDir: string,
  log: (l: string) => void = () => undefined,
): Promise<PackageInfo[]> {
  await mkdir(cacheDir, { recursive: true });
  const probe = await mkdtemp(path.join(tmpdir(), "mafft-layer-uris-"));
  let uris: string;
  try {
    // Run where no .deb exists: apt-get prints nothing for packages already in the working folder.
    uris = await tool("apt-get", ["--print-uris", "download", ...names], { cwd: probe });
  } catch (e) {
    throw new LayerBuildError(`${(e as Error).message} (if apt-get cannot locate the packages, run apt-get update)`);
  } finally {
    await rm(probe, { recursive: true, force: true });
  }
  const out: PackageInfo[] = [];
  for (const line of uris.split("\n").filter((l) => l.startsWith("'"))) {
    const m = /^'([^']+)'\s+(\S+)\s+(\d+)\s+(SHA256|SHA512):([0-9a-f]+)/.exec(line);
    if (!m) throw new LayerBuildError(`unexpected apt-get --print-uris line: ${line}`);
    const [, , file, , algo, digest] = m as unknown as [string, string, string, string, string, string];
    const name = file.split("_")[0]!;
    const version = decodeURIComponent(file.split("_")[1] ?? "");
    const target = path.join(cacheDir, file);
    const algorithm = algo === "SHA512" ? "sha512" : "sha256";
    if (!existsSync(target) || (await digestFile(target, algorithm)) !== digest) {
      log(`downloading ${name} ${version}`);
      // Download beside the cache, then rename: parallel builds never see a half-written package.
      const dl = await mkdtemp(path.join(cacheDir, ".download-"));
      try {
        await tool("apt-get", ["download", `${name}=${version}`], { cwd: dl });
        const got = path.join(dl, file);
        if (!existsSync(got)) throw new LayerBuildError(`apt-get download ${name}=${version} did not produce ${file}`);
        if ((await digestFile(got, algorithm)) !== digest)
          throw new LayerBuildError(`${file} does not match the archive's ${algo} checksum`);
        await rename(got, target);
      } finally {
        await rm(dl, { recursive: true, force: true });
      }
    } else {
      log(`using cached ${file}`);
    }
    out.push({ name, version, file: target, sha256: algorithm === "sha256" ? digest : await digestFile(target) });
  }
  for (const n of names)
    if (!out.some((p) => p.name === n))
      throw new LayerBuildError(`apt-get did not offer the package ${n} (run apt-get update)`);
  return out;
}

interface MafftFiles {
  script: string;
  binaries: string;
  copyright: string | undefined;
  version: string;
  source: string;
  sha256: string;
}

async function mafftFromDeb(deb: PackageInfo, work: string): Promise<MafftFiles> {
  const dir = path.join(work, "mafft-deb");
  await tool("dpkg-deb", ["-x", deb.file, dir]);
  const script = path.join(dir, "usr/lib/mafft/bin/mafft");
  const binaries = path.join(dir, "usr/lib/mafft/lib/mafft");
  if (!existsSync(script) || !existsSync(path.join(binaries, "version")))
    throw new LayerBuildError(`${path.basename(deb.file)} does not hold usr/lib/mafft/bin/mafft and its helpers`);
  return {
    script,
    binaries,
    copyright: path.join(dir, "usr/share/doc/mafft/copyright"),
    version: await scriptVersion(script),
    source: `Debian package ${path.basename(deb.file)}`,
    sha256: deb.sha256,
  };
}

function checkTarballExists(tgz: string): void {
  if (!existsSync(tgz))
    throw new LayerInputError(
      `${tgz} does not exist; download the portable package (mafft-<version>-linux.tgz) from https://mafft.cbrc.jp/alignment/software/`,
    );
}

async function mafftFromTarball(tgz: string, work: string): Promise<MafftFiles> {
  checkTarballExists(tgz);
  const dir = path.join(work, "mafft-tgz");
  await mkdir(dir);
  try {
    await tool("tar", ["-xzf", tgz, "-C", dir]);
  } catch (e) {
    if (!(e instanceof LayerBuildError) || /not installed/.test(e.message)) throw e;
    throw new LayerInputError(
      `${path.basename(tgz)} is not a gzipped tarball (${e.message.replace(/^.*? failed: /, "tar says: ")}); give MAFFT's portable package, mafft-<version>-linux.tgz`,
    );
  }
  // mafft-linux64/mafftdir/{bin/mafft, libexec/} (mafft.bat sets MAFFT_BINARIES to the latter).
  const top = (await readdir(dir)).find((d) => existsSync(path.join(dir, d, "mafftdir", "bin", "mafft")));
  if (top === undefined)
    throw new LayerInputError(
      `${path.basename(tgz)} is not MAFFT's portable package (no mafft-linux64/mafftdir/bin/mafft inside)`,
    );
  const root = path.join(dir, top, "mafftdir");
  const binaries = path.join(root, "libexec");
  if (!existsSync(path.join(binaries, "version")))
    throw new LayerInputError(`${path.basename(tgz)} has no mafftdir/libexec/version helper`);
  const license = (await readdir(path.join(dir, top))).find((f) => /^(license|copying|copyright)/i.test(f));
  return {
    script: path.join(root, "bin", "mafft"),
    binaries,
    copyright: license === undefined ? undefined : path.join(dir, top, license),
    version: await scriptVersion(path.join(root, "bin", "mafft")),
    source: `upstream portable package ${path.basename(tgz)}`,
    sha256: await digestFile(tgz),
  };
}

/** `version="v7.505 (2022/Apr/10)"` in the driver script. */
async function scriptVersion(script: string): Promise<string> {
  const m = /^version="v?([^"\s]+)/m.exec(await readFile(script, "utf8"));
  if (!m) throw new LayerBuildError(`${script} does not look like MAFFT's driver script (no version= line)`);
  return m[1]!;
}

/** Files below `dir` (relative, sorted by bytes), folders with a trailing slash. */
async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(path.join(dir, prefix), { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const e of entries) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(`${rel}/`, ...(await listTree(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** Fixed modes and times on everything (symlinks keep their own, which zip does not store). */
async function normalize(dir: string, entries: string[]): Promise<void> {
  const t = fixedTime();
  for (const rel of [...entries].reverse()) {
    const p = path.join(dir, rel);
    const st = await lstat(p);
    if (st.isSymbolicLink()) {
      await lutimes(p, t, t);
      continue;
    }
    if (st.isDirectory()) await chmod(p, 0o755);
    else await chmod(p, st.mode & 0o111 ? 0o755 : 0o644);
    await lutimes(p, t, t);
  }
  await lutimes(dir, t, t);
}

export async function buildMafftLayer(opts: LayerBuildOptions = {}): Promise<LayerBuildResult> {
  const log = opts.log ?? (() => undefined);
  const out = path.resolve(REPO_ROOT, opts.out ?? resolveConfig({ env: process.env }).mafft.layerZip);
  const cacheDir = path.resolve(REPO_ROOT, opts.cacheDir ?? "layers/mafft/cache");
  // Before any download: a mistyped --from should fail at once.
  if (opts.from !== undefined) checkTarballExists(path.resolve(opts.from));
  const work = await mkdtemp(path.join(tmpdir(), "mafft-layer-"));
  try {
    const debs = await fetchDebs(
      opts.from === undefined ? ["mafft", "busybox-static"] : ["busybox-static"],
      cacheDir,
      log,
    );
    const busyboxDeb = debs.find((d) => d.name === "busybox-static")!;
    const mafft =
      opts.from === undefined
        ? await mafftFromDeb(debs.find((d) => d.name === "mafft")!, work)
        : await mafftFromTarball(path.resolve(opts.from), work);

    const bbDir = path.join(work, "busybox-deb");
    await tool("dpkg-deb", ["-x", busyboxDeb.file, bbDir]);
    const busybox = [path.join(bbDir, "bin/busybox"), path.join(bbDir, "usr/bin/busybox")].find((p) => existsSync(p));
    if (busybox === undefined) throw new LayerBuildError(`${path.basename(busyboxDeb.file)} holds no busybox binary`);

    const tree = path.join(work, "tree");
    const layout = mafftLayout(path.join(tree, MAFFT_DIR_IN_ZIP));
    for (const d of [path.dirname(layout.script), layout.binaries, layout.toolsBin, layout.licenses])
      await mkdir(d, { recursive: true });
    await copyFile(mafft.script, layout.script);
    await chmod(layout.script, 0o755);
    for (const f of (await readdir(mafft.binaries)).sort()) {
      const from = path.join(mafft.binaries, f);
      if (!(await stat(from)).isFile()) continue;
      await copyFile(from, path.join(layout.binaries, f));
      // Helpers are programs: executable whatever modes the package carried.
      await chmod(path.join(layout.binaries, f), 0o755);
    }
    await copyFile(busybox, layout.busybox);
    await chmod(layout.busybox, 0o755);
    for (const t of MAFFT_TOOLS) await symlink("busybox", path.join(layout.toolsBin, t));
    if (mafft.copyright !== undefined) await copyFile(mafft.copyright, path.join(layout.licenses, "mafft.copyright"));
    await copyFile(
      path.join(bbDir, "usr/share/doc/busybox-static/copyright"),
      path.join(layout.licenses, "busybox.copyright"),
    );
    const manifest = {
      mafft: { version: mafft.version, source: mafft.source, sha256: mafft.sha256 },
      busybox: {
        version: busyboxDeb.version,
        source: `Debian package ${path.basename(busyboxDeb.file)}`,
        sha256: busyboxDeb.sha256,
      },
      tools: [...MAFFT_TOOLS],
      layout: { script: "bin/mafft", binaries: "libexec", tools: "tools/bin" },
      note: "Set MAFFT_BINARIES to <root>/libexec and put <root>/tools/bin first on PATH; the aligner's runner does both.",
    };
    await writeFile(layout.manifest, `${JSON.stringify(manifest, null, 2)}\n`);

    const entries = await listTree(tree);
    await normalize(tree, entries);
    const tmpZip = path.join(work, "layer.zip");
    await zipSorted(tree, entries, tmpZip);
    await mkdir(path.dirname(out), { recursive: true });
    // Beside the destination, then renamed: a reader never sees half a zip, and a failure leaves none.
    const partial = `${out}.partial-${process.pid}`;
    try {
      await copyFile(tmpZip, partial);
      await rename(partial, out);
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
    const result: LayerBuildResult = {
      zip: out,
      bytes: (await stat(out)).size,
      sha256: await digestFile(out),
      mafftVersion: mafft.version,
      mafftSource: mafft.source,
      busyboxVersion: busyboxDeb.version,
    };
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** `zip` with the entries in the given (sorted) order, no extra fields, links kept, UTC times. */
async function zipSorted(dir: string, entries: string[], zip: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = execFile(
      "zip",
      ["-X", "-y", "-q", "-9", "-D", zip, "-@"],
      { cwd: dir, env: { ...process.env, TZ: "UTC" } },
      (e) => {
        if (e === null) return resolve();
        reject(
          (e as { code?: unknown }).code === "ENOENT"
            ? new LayerBuildError("zip is not installed (apt-get install zip)")
            : new LayerBuildError(`zip failed: ${e.message}`),
        );
      },
    );
    // -D: no directory entries (Lambda creates folders from paths); files only, in sorted order.
    child.stdin?.end(`${entries.filter((e) => !e.endsWith("/")).join("\n")}\n`);
  });
}

const USAGE = `Usage: npm run build:layer [-- options]

Builds the MAFFT Lambda layer zip from Debian's mafft and busybox-static packages.

Options:
  --from <tgz>     use MAFFT's upstream portable package (mafft-<version>-linux.tgz) instead of Debian's
  --out <zip>      where to write the zip (default: ALIGNER_MAFFT_LAYER_ZIP, layers/mafft/dist/mafft-layer.zip)
  --cache <dir>    where downloaded packages are kept (default: layers/mafft/cache)
  --json           print the result as JSON
  -h, --help       show this help
`;

async function main(argv: string[]): Promise<number> {
  let values: { from?: string; out?: string; cache?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      options: {
        from: { type: "string" },
        out: { type: "string" },
        cache: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const log = values.json ? () => undefined : (l: string) => process.stderr.write(`${l}\n`);
    const r = await buildMafftLayer({ from: values.from, out: values.out, cacheDir: values.cache, log });
    if (values.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    else {
      process.stdout.write(
        `MAFFT layer: ${path.relative(process.cwd(), r.zip) || r.zip} (${(r.bytes / 1024 / 1024).toFixed(1)} MiB, sha256 ${r.sha256})\n` +
          `  MAFFT ${r.mafftVersion} from the ${r.mafftSource}; busybox ${r.busyboxVersion}\n`,
      );
    }
    return 0;
  } catch (e) {
    process.stderr.write(`build:layer: ${e instanceof LayerBuildError ? e.message : (e as Error).stack}\n`);
    return e instanceof LayerInputError ? 2 : 1;
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
