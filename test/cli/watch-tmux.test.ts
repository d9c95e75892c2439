/**
 * End to end in a real terminal: `aligner watch --local` runs in tmux against the local cloud,
 * a job is uploaded, and the screen (capture-pane) shows its row reach SUCCEEDED; keys filter,
 * search, open the detail pane with the job's log lines and quit, leaving the terminal as it was.
 * The tmux server is private to this test (its own socket) and is killed at the end, even on failure.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { startLocalCloud, type LocalCloud } from "../../local/cloud.ts";
import { s3Client } from "../../aws/clients.ts";

const BIN = path.resolve(import.meta.dirname, "../../bin/aligner.js");
const SAMPLE = path.resolve(import.meta.dirname, "../data/mafft-sample/input.fasta");
const SOCKET = `aligner-watch-test-${process.pid}`;
const SESSION = "watch";
let cloud: LocalCloud;
let dir: string;

const tmux = (...args: string[]) => execFileSync("tmux", ["-L", SOCKET, ...args], { encoding: "utf8" });
const screen = () => tmux("capture-pane", "-p", "-t", SESSION);
const keys = (...k: string[]) => tmux("send-keys", "-t", SESSION, ...k);

async function waitForScreen(what: string, test: (s: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < until) {
    last = screen();
    if (test(last)) return last;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`the screen never showed ${what}; last screen:\n${last}`);
}

beforeAll(async () => {
  execFileSync("tmux", ["-V"]); // a clear failure when tmux is missing (.ci/run installs it)
  dir = mkdtempSync(path.join(tmpdir(), "aligner-watch-e2e-"));
  cloud = await startLocalCloud({
    stateDir: path.join(dir, ".aligner"),
    writeEndpointsFile: true,
    overrides: { local: { logFlushMs: 100 } },
  });
}, 120_000);
let socketPath: string | undefined;

afterAll(async () => {
  try {
    tmux("kill-server");
  } catch {
    // Already gone.
  }
  // tmux leaves the socket file of a killed server behind.
  if (socketPath) rmSync(socketPath, { force: true });
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("aligner watch in a terminal", () => {
  it("shows an uploaded job reach SUCCEEDED, answers keys, and quits cleanly", async () => {
    // The shell records the exit code (tmux's own pane_dead_status is not reliable in 3.3).
    // CI=true on purpose: a terminal is a terminal even on a CI machine, where Ink would
    // otherwise print only the last frame (is-in-ci) and the screen would stay blank.
    const exitFile = path.join(dir, "watch.exit");
    tmux(
      "-f",
      "/dev/null",
      "new-session",
      "-d",
      "-s",
      SESSION,
      "-x",
      "160",
      "-y",
      "30",
      "-c",
      dir,
      `CI=true NO_COLOR=1 ALIGNER_WATCH_SETTLE_MS=200 ALIGNER_WATCH_REFRESH_MS=300 '${process.execPath}' '${BIN}' watch --local; echo $? > '${exitFile}'`,
    );
    socketPath = tmux("display-message", "-p", "#{socket_path}").trim();
    tmux("set-option", "-t", SESSION, "remain-on-exit", "on");
    await waitForScreen(
      "the empty view",
      (s) => s.includes("aligner watch · local cloud") && s.includes("no jobs yet in this window"),
    );

    const s3 = s3Client(cloud.clientOptions("s3"));
    await s3.send(
      new PutObjectCommand({ Bucket: cloud.names.inputBucket, Key: "e2e/input.fasta", Body: readFileSync(SAMPLE) }),
    );
    s3.destroy();
    const done = await waitForScreen(
      "the job SUCCEEDED",
      (s) => /e2e\/input\.fasta\s+SUCCEEDED\s+cold/.test(s),
      60_000,
    );
    expect(done).toMatch(/\[0 all 1\]\s+1 RUNNING 0\s+2 SUCCEEDED 1/);
    const id = /› ([0-9a-f-]{36}) /.exec(done)?.[1];
    expect(id).toBeDefined();

    keys("3");
    await waitForScreen(
      "the FAILED filter",
      (s) => s.includes("[3 FAILED 0]") && s.includes("no job matches the filter"),
    );
    keys("0");
    await waitForScreen("all jobs again", (s) => s.includes("[0 all 1]") && s.includes("e2e/input.fasta"));

    keys("/");
    for (const ch of "nomatch") keys(ch);
    await waitForScreen("the search being typed", (s) => s.includes("/nomatch"));
    keys("Enter");
    await waitForScreen("no match", (s) => s.includes('search "nomatch"') && s.includes("no job matches"));
    keys("Escape");
    await waitForScreen("the search cleared", (s) => !s.includes('search "') && s.includes("e2e/input.fasta"));

    keys("Enter");
    const detail = await waitForScreen(
      "the detail pane with log lines",
      (s) => s.includes(`job ${id} SUCCEEDED`) && /log lines \(\d+ in 1 stream\)/.test(s),
    );
    expect(detail).toMatch(/outputKey\s+e2e\/input\.aligned\.fasta/);
    expect(detail).toContain(`START RequestId: ${id}`);
    keys("Escape");
    await waitForScreen("the table again", (s) => !s.includes("log lines (") && s.includes("e2e/input.fasta"));

    keys("q");
    const status = await (async () => {
      const until = Date.now() + 15_000;
      while (Date.now() < until) {
        if (existsSync(exitFile)) {
          const text = readFileSync(exitFile, "utf8").trim();
          if (text !== "") return Number(text);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`aligner watch did not exit on q; screen:\n${screen()}`);
    })();
    expect(status).toBe(0);
    // The alternate screen is gone: the terminal shows what it showed before.
    expect(screen()).not.toContain("aligner watch ·");
  }, 120_000);
});
