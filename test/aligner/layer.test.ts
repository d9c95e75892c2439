/**
 * The MAFFT layer: built reproducibly from Debian packages (or the upstream portable tarball),
 * modes kept, and self-contained — it aligns MAFFT's sample inside an empty root that holds only
 * bash, /bin/sh, the C library and three device nodes, entered with chroot (root is needed, as in
 * CI). And prepareLocalMafft, which gives the local cloud the same layout.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MAFFT_DIR_IN_ZIP,
  MAFFT_LAYER_ROOT,
  MAFFT_TOOLS,
  mafftLayout,
  mafftProcessEnv,
} from "../../core/mafft-layer.ts";
import { buildMafftLayer, LayerInputError, type LayerBuildResult } from "../../layers/mafft/build.ts";
import { REPO_ROOT } from "../../infra/paths.ts";
import { prepareLocalMafft } from "../../layers/mafft/local.ts";
import { locateMafft, runMafft } from "../../functions/aligner/mafft-runner.ts";
import { DATA } from "./harness.ts";

const run = promisify(execFile);
const BUILD_SCRIPT = path.join(REPO_ROOT, "layers", "mafft", "build.ts");

let work: string;
let layer: LayerBuildResult;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "mafft-layer-test-"));
  layer = await buildMafftLayer({ out: path.join(work, "first", "mafft-layer.zip") });
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** `unzip -Z` listing: mode string and name of each entry. */
async function zipEntries(zip: string): Promise<{ mode: string; name: string }[]> {
  const { stdout } = await run("unzip", ["-Z", zip]);
  return stdout
    .split("\n")
    .filter((l) => /^[-l]r/.test(l))
    .map((l) => {
      const parts = l.trim().split(/\s+/);
      return { mode: parts[0]!, name: parts.slice(8).join(" ") };
    });
}

describe("building the layer", () => {
  it("is reproducible: the same packages give the same zip bytes", async () => {
    const again = await buildMafftLayer({ out: path.join(work, "second", "mafft-layer.zip") });
    expect(again.sha256).toBe(layer.sha256);
    expect(await readFile(again.zip)).toEqual(await readFile(layer.zip));
    expect(layer.mafftVersion).toBe("7.505");
  }, 120_000);

  it("keeps unix modes, stores the busybox applets as links, and sorts its entries", async () => {
    const entries = await zipEntries(layer.zip);
    const byName = new Map(entries.map((e) => [e.name, e.mode]));
    const l = mafftLayout(MAFFT_DIR_IN_ZIP);
    expect(byName.get(l.script)).toBe("-rwxr-xr-x");
    expect(byName.get(`${l.binaries}/tbfast`)).toBe("-rwxr-xr-x");
    expect(byName.get(l.versionHelper)).toBe("-rwxr-xr-x");
    expect(byName.get(l.busybox)).toBe("-rwxr-xr-x");
    expect(byName.get(l.manifest)).toBe("-rw-r--r--");
    expect(byName.get(`${l.licenses}/mafft.copyright`)).toBe("-rw-r--r--");
    expect(byName.get(`${l.licenses}/busybox.copyright`)).toBe("-rw-r--r--");
    for (const t of MAFFT_TOOLS) expect(byName.get(`${l.toolsBin}/${t}`), t).toMatch(/^l/);
    const names = entries.map((e) => e.name);
    expect(names).toEqual([...names].sort());
    expect(names.every((n) => n.startsWith(`${MAFFT_DIR_IN_ZIP}/`))).toBe(true);
  });
});

describe("the layer is self-contained", () => {
  it("aligns the sample byte for byte inside a root holding only bash, /bin/sh, the C library and /dev/{null,zero,urandom}", async () => {
    const root = path.join(work, "chroot");
    const bin = path.join(root, "bin");
    await mkdir(bin, { recursive: true });
    await copyFile(await realpath("/bin/bash"), path.join(bin, "bash"));
    await copyFile(await realpath("/bin/sh"), path.join(bin, "sh"));
    await mkdir(path.join(root, "opt"));
    await run("unzip", ["-q", layer.zip, "-d", path.join(root, "opt")]);
    const inRoot = mafftLayout(path.join(root, "opt", MAFFT_DIR_IN_ZIP));

    // The shared libraries ldd names for the shells and every compiled helper: glibc (and bash's libtinfo).
    const elves = [
      "/bin/bash",
      "/bin/sh",
      ...(await readdir(inRoot.binaries)).filter((f) => !f.endsWith(".pl")).map((f) => path.join(inRoot.binaries, f)),
    ];
    const libs = new Set<string>();
    for (const elf of elves) {
      const { stdout } = await run("ldd", [elf]).catch(() => ({ stdout: "" }));
      for (const m of stdout.matchAll(/(\/\S+\.so[.\d]*)/g)) libs.add(m[1]!);
    }
    expect([...libs].some((l) => /libc\.so/.test(l))).toBe(true);
    for (const lib of libs) {
      await mkdir(path.join(root, path.dirname(lib)), { recursive: true });
      await copyFile(await realpath(lib), path.join(root, lib));
    }
    await mkdir(path.join(root, "tmp"));
    await chmod(path.join(root, "tmp"), 0o1777);
    await mkdir(path.join(root, "dev"));
    for (const [name, minor] of [
      ["null", 3],
      ["zero", 5],
      ["urandom", 9],
    ] as const) {
      try {
        await run("mknod", ["-m", "666", path.join(root, "dev", name), "c", "1", String(minor)]);
      } catch (e) {
        throw new Error(
          `the chroot proof needs root (CAP_MKNOD and CAP_SYS_CHROOT), as CI has; mknod /dev/${name} failed: ${(e as { stderr?: string }).stderr?.trim() ?? e}`,
        );
      }
    }
    await copyFile(path.join(DATA, "input.fasta"), path.join(root, "tmp", "input.fasta"));

    // Nothing else is in the root: no coreutils, no awk, no Node, no /usr/bin.
    const outside = (await listFiles(root)).filter((f) => !f.startsWith("opt/") && !f.startsWith("tmp/"));
    expect(
      outside.filter(
        (f) => !/^(bin\/(bash|sh)|dev\/(null|zero|urandom)|(usr\/)?lib(64|\/x86_64-linux-gnu)?\/.*\.so[.\d]*)$/.test(f),
      ),
    ).toEqual([]);

    // The same environment the aligner's runner gives MAFFT, with the layer at /opt/mafft.
    const env = mafftProcessEnv({
      layout: mafftLayout(MAFFT_LAYER_ROOT),
      tmpDir: "/tmp",
      workDir: "/tmp",
      basePath: "/bin",
    });
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          chrootCommand(),
          [root, mafftLayout(MAFFT_LAYER_ROOT).script, "--auto", "/tmp/input.fasta"],
          { env, stdio: ["ignore", "pipe", "pipe"] },
        );
        let out = "";
        let err = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
        child.on("error", reject);
        child.on("close", (c) => resolve({ code: c, stdout: out, stderr: err }));
      },
    );
    if (code !== 0 && /Operation not permitted/.test(stderr))
      throw new Error(`the chroot proof needs root (CAP_SYS_CHROOT), as CI has: ${stderr.trim()}`);
    expect(code, stderr.slice(-2000)).toBe(0);
    expect(stdout).toBe(await readFile(path.join(DATA, "expected.linsi.fasta"), "utf8"));
    expect(stderr).not.toMatch(/command not found|No such file/);
  }, 60_000);
});

describe("the upstream portable package (--from)", () => {
  it("builds the same layout from mafft-<v>-linux.tgz, and the runner aligns with it", async () => {
    // A tarball in upstream's layout, made from this machine's MAFFT (the real one cannot be downloaded here).
    const up = path.join(work, "upstream", "mafft-linux64");
    const machine = mafftLayout(
      (await prepareLocalMafft(path.join(work, "state-machine"), { layerZip: path.join(work, "none.zip") })).root,
    );
    await mkdir(path.join(up, "mafftdir", "bin"), { recursive: true });
    await mkdir(path.join(up, "mafftdir", "libexec"), { recursive: true });
    await copyFile(await realpath(machine.script), path.join(up, "mafftdir", "bin", "mafft"));
    for (const f of await readdir(machine.binaries))
      await copyFile(path.join(machine.binaries, f), path.join(up, "mafftdir", "libexec", f));
    await writeFile(
      path.join(up, "mafft.bat"),
      '#!/bin/sh\nMAFFT_BINARIES="$(dirname "$0")/mafftdir/libexec"; export MAFFT_BINARIES\nexec "$(dirname "$0")/mafftdir/bin/mafft" "$@"\n',
      { mode: 0o755 },
    );
    await writeFile(path.join(up, "license"), "BSD\n");
    const tgz = path.join(work, "mafft-7.505-linux.tgz");
    await run("tar", ["-czf", tgz, "-C", path.join(work, "upstream"), "mafft-linux64"]);

    const built = await buildMafftLayer({ from: tgz, out: path.join(work, "from", "mafft-layer.zip") });
    expect(built.mafftSource).toBe("upstream portable package mafft-7.505-linux.tgz");
    const unpacked = path.join(work, "from-unpacked");
    await run("unzip", ["-q", built.zip, "-d", unpacked]);
    const l = mafftLayout(path.join(unpacked, MAFFT_DIR_IN_ZIP));
    expect(await readFile(l.script)).toEqual(await readFile(path.join(up, "mafftdir", "bin", "mafft")));
    expect(JSON.parse(await readFile(l.manifest, "utf8"))).toMatchObject({
      mafft: { version: "7.505", source: "upstream portable package mafft-7.505-linux.tgz" },
    });
    expect(await readFile(path.join(l.licenses, "mafft.copyright"), "utf8")).toBe("BSD\n");

    const tmp = await mkdtemp(path.join(work, "run-"));
    const mafft = await locateMafft({ root: l.root, tmpDir: tmp });
    expect(mafft).toMatchObject({ version: "7.505", via: "layer" });
    await copyFile(path.join(DATA, "dna-small.fasta"), path.join(tmp, "in.fasta"));
    let stderr = "";
    const r = await runMafft({
      mafft,
      args: ["--auto"],
      inputFile: path.join(tmp, "in.fasta"),
      outputFile: path.join(tmp, "out.fasta"),
      workDir: tmp,
      tmpDir: tmp,
      timeLimitMs: 30_000,
      onStderr: (t) => (stderr += t),
    });
    expect(r.exitCode, stderr).toBe(0);
    expect((await readFile(path.join(tmp, "out.fasta"), "utf8")).match(/^>/gm)).toHaveLength(5);
  }, 120_000);

  it("refuses a tarball that is not MAFFT's portable package, saying so", async () => {
    const bogus = path.join(work, "bogus.tgz");
    await mkdir(path.join(work, "bogus", "x"), { recursive: true });
    await run("tar", ["-czf", bogus, "-C", path.join(work, "bogus"), "x"]);
    await expect(buildMafftLayer({ from: bogus, out: path.join(work, "bogus.zip") })).rejects.toThrow(
      "bogus.tgz is not MAFFT's portable package (no mafft-linux64/mafftdir/bin/mafft inside)",
    );
    await expect(
      buildMafftLayer({ from: path.join(work, "missing.tgz"), out: path.join(work, "bogus.zip") }),
    ).rejects.toThrow(/missing\.tgz does not exist; download the portable package/);
    const text = path.join(work, "notes.tgz");
    await writeFile(text, "not a tarball\n");
    await expect(buildMafftLayer({ from: text, out: path.join(work, "bogus.zip") })).rejects.toThrow(
      /^notes\.tgz is not a gzipped tarball \(tar says: .*\); give MAFFT's portable package, mafft-<version>-linux\.tgz$/,
    );
    await expect(buildMafftLayer({ from: text, out: path.join(work, "bogus.zip") })).rejects.toBeInstanceOf(
      LayerInputError,
    );
    expect(existsSync(path.join(work, "bogus.zip"))).toBe(false);
    expect((await readdir(work)).filter((f) => f.includes(".partial"))).toEqual([]);
  }, 60_000);

  it("npm run build:layer: exit 2 and one line for a bad --from or flag, 0 for --help", async () => {
    const cli = async (...args: string[]) => {
      const r = await run(process.execPath, ["--import", "tsx", BUILD_SCRIPT, ...args], { cwd: REPO_ROOT }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
      return r;
    };
    const missing = await cli("--from", path.join(work, "missing.tgz"), "--out", path.join(work, "cli.zip"));
    expect(missing).toMatchObject({ code: 2, stdout: "" });
    expect(missing.stderr).toBe(
      `build:layer: ${path.join(work, "missing.tgz")} does not exist; download the portable package (mafft-<version>-linux.tgz) from https://mafft.cbrc.jp/alignment/software/\n`,
    );
    const flag = await cli("--form", "x.tgz");
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^Unknown option '--form'[^\n]*\n\nUsage: npm run build:layer/);
    const help = await cli("--help");
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toMatch(/^Usage: npm run build:layer/);
    expect(existsSync(path.join(work, "cli.zip"))).toBe(false);
  }, 60_000);
});

describe("prepareLocalMafft", () => {
  it("unpacks a built layer zip once, and returns at once the second time", async () => {
    const state = path.join(work, "state-zip");
    const first = await prepareLocalMafft(state, { layerZip: layer.zip });
    expect(first.source).toMatch(/^MAFFT 7\.505 from the layer zip .*mafft-layer\.zip$/);
    const l = mafftLayout(first.root);
    expect((await stat(l.script)).mode & 0o777).toBe(0o755);
    const unpackedAt = (await stat(l.script)).ctimeMs;
    const second = await prepareLocalMafft(state, { layerZip: layer.zip });
    expect(second).toEqual(first);
    expect((await stat(l.script)).ctimeMs).toBe(unpackedAt);
    expect(await locateMafft({ root: first.root, tmpDir: state })).toMatchObject({ version: "7.505", via: "layer" });
  });

  it("assembles the same layout from the machine's mafft when no zip was built, idempotently", async () => {
    const state = path.join(work, "state-machine-2");
    const first = await prepareLocalMafft(state, { layerZip: path.join(work, "never-built.zip") });
    expect(first.source).toMatch(
      /^MAFFT 7\.505 installed on this machine \(\/usr\/lib\/mafft\/bin\/mafft, helpers in \/usr\/lib\/mafft\/lib\/mafft\)$/,
    );
    expect(await prepareLocalMafft(state, { layerZip: path.join(work, "never-built.zip") })).toEqual(first);
    expect(await locateMafft({ root: first.root, tmpDir: state })).toMatchObject({ version: "7.505", via: "layer" });
  });

  it("says what to install when there is neither a zip nor a mafft", async () => {
    await expect(
      prepareLocalMafft(path.join(work, "state-none"), {
        layerZip: path.join(work, "never-built.zip"),
        searchPath: "/nonexistent",
      }),
    ).rejects.toThrow(
      "MAFFT is not installed and no layer zip was built: run `apt-get install mafft` (or `npm run build:layer`)",
    );
  });
});

/** chroot on the host (the child's PATH is the one inside the root). */
function chrootCommand(): string {
  const dirs = [...(process.env["PATH"] ?? "").split(":"), "/usr/sbin", "/sbin"];
  const found = dirs.map((d) => path.join(d, "chroot")).find((p) => existsSync(p));
  if (found === undefined) throw new Error("the chroot proof needs the chroot command (coreutils) and root, as CI has");
  return found;
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out;
}
