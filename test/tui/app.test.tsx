/**
 * The live view rendered by Ink (ink-testing-library) over generated records: rows, colours
 * and NO_COLOR, filter keys, search, the detail pane with log lines, scrolling, updates in
 * place, a bad record, connection errors in the status line.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { JobRecord } from "../../core/jobs-table.ts";
import { readJobItem } from "../../core/job-item.ts";
import { LiveJobs } from "../../tui/live-jobs.ts";
import { MemoryLiveSource } from "../helpers/memory-live-source.ts";
import { generateJobs, jobItem, type GeneratedJob } from "../helpers/job-records.ts";

process.env["TZ"] = "UTC";
// Ink's colours come from chalk, which decides at import whether the terminal has colours.
process.env["FORCE_COLOR"] = "1";
const { render, cleanup } = await import("ink-testing-library");
const { App } = await import("../../tui/App.tsx");

const NOW = Date.parse("2026-11-24T12:00:00Z");
const ESC = "\u001b";
const KEYS = {
  down: `${ESC}[B`,
  up: `${ESC}[A`,
  pageDown: `${ESC}[6~`,
  pageUp: `${ESC}[5~`,
  home: `${ESC}[H`,
  end: `${ESC}[F`,
  enter: "\r",
  escape: ESC,
};
const settle = (ms = 60) => new Promise((r) => setTimeout(r, ms));

const toRow = (j: GeneratedJob) => readJobItem(jobItem(j))!;
let jobs: GeneratedJob[];
beforeAll(() => {
  jobs = generateJobs(300, { newestMs: NOW - 60_000, spacingMs: 10_000, seed: 11 });
});
afterEach(() => cleanup());

async function mount(
  opts: {
    color?: boolean;
    columns?: number;
    rows?: number;
    source?: MemoryLiveSource;
    logs?: (
      r: JobRecord,
    ) => Promise<{ lines: { timestamp: number; logStream: string; message: string }[]; streams: string[] }>;
  } = {},
) {
  const source = opts.source ?? new MemoryLiveSource(jobs.map(toRow));
  const live = new LiveJobs(source, { sinceMs: 0, maxJobs: 10_000, refreshMs: 1000, staleMs: 60_000, now: () => NOW });
  await live.refreshOnce();
  const loads: string[] = [];
  const app = render(
    <App
      live={live}
      target="local cloud (test)"
      windowLabel="jobs of the last 1h"
      loadLogs={async (r) => {
        loads.push(r.requestId);
        return (opts.logs ?? (async () => ({ lines: [], streams: [] })))(r);
      }}
      describeError={(e) => `logs unavailable: ${(e as Error).message}`}
      color={opts.color ?? false}
      size={{ columns: opts.columns ?? 160, rows: opts.rows ?? 20 }}
      now={() => NOW}
    />,
  );
  await settle();
  const frame = () => app.lastFrame() ?? "";
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      app.stdin.write(k);
      await settle(k === ESC ? 120 : 40);
    }
  };
  return { app, live, source, frame, press, loads };
}

const tableLines = (frame: string) => frame.split("\n").filter((l) => /^[› ] [0-9a-f]{8}/.test(l));

describe("live view", () => {
  it("shows the newest jobs first, only as many rows as fit, with counts and percentiles in the header", async () => {
    const { frame } = await mount({ rows: 20 });
    const lines = tableLines(frame());
    expect(lines).toHaveLength(20 - 7);
    const newest = jobs[0]!.record;
    expect(lines[0]).toContain(newest.requestId);
    expect(lines[0]).toContain(newest.inputKey!);
    expect(lines[0]!.startsWith("›")).toBe(true);
    const counts = Object.fromEntries(
      ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT"].map((s) => [s, jobs.filter((j) => j.record.status === s).length]),
    );
    expect(frame()).toContain(`0 all 300`);
    expect(frame()).toContain(`3 FAILED ${counts["FAILED"]}`);
    expect(frame()).toMatch(/p50 [\d.]+ s {2}p95 [\d.]+ s/);
    expect(frame()).toMatch(/rows 1-13 of 300/);
  });

  it("writes no colour codes with colours off (NO_COLOR), and colours the status with them on", async () => {
    const plain = await mount({ color: false });
    expect(plain.frame()).not.toContain(ESC);
    cleanup();
    const coloured = await mount({ color: true });
    const succeeded = tableLines(coloured.frame()).find((l) => l.includes("SUCCEEDED"))!;
    expect(succeeded).toContain(`${ESC}[32mSUCCEEDED`);
    const failedJob = jobs.find((j) => j.record.status === "FAILED")!;
    await coloured.press("3");
    expect(coloured.frame()).toContain(`${ESC}[31mFAILED`);
    expect(coloured.frame()).toContain(failedJob.record.requestId);
  });

  it("filters by status with the number keys and back to all with 0", async () => {
    const { frame, press } = await mount();
    await press("4");
    const lines = tableLines(frame());
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.includes("TIMED_OUT"))).toBe(true);
    expect(frame()).toContain("[4 TIMED_OUT");
    await press("0");
    expect(tableLines(frame()).some((l) => l.includes("SUCCEEDED"))).toBe(true);
  });

  it("searches by input key or request id after /, and Esc clears the search", async () => {
    const { frame, press } = await mount();
    await press("/", ..."sample-123.");
    expect(frame()).toContain("/sample-123.");
    await press(KEYS.enter);
    let lines = tableLines(frame());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("sample-123.fasta");
    const id = jobs[42]!.record.requestId;
    await press("/", KEYS.escape, "/", ...id.slice(0, 13), KEYS.enter);
    lines = tableLines(frame());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(id);
    await press(KEYS.escape);
    expect(tableLines(frame())).toHaveLength(13);
  });

  it("scrolls with the arrows, PgDn/PgUp and End/Home", async () => {
    const { frame, press } = await mount({ rows: 17 });
    const ids = () => tableLines(frame()).map((l) => l.slice(2, 38));
    const selected = () =>
      tableLines(frame())
        .find((l) => l.startsWith("›"))!
        .slice(2, 38);
    await press(KEYS.down, KEYS.down);
    expect(selected()).toBe(jobs[2]!.record.requestId);
    await press(KEYS.pageDown);
    expect(selected()).toBe(jobs[12]!.record.requestId);
    expect(ids()[0]).toBe(jobs[10]!.record.requestId);
    await press(KEYS.end);
    expect(selected()).toBe(jobs[299]!.record.requestId);
    expect(frame()).toContain("rows 291-300 of 300");
    await press(KEYS.pageUp, KEYS.up);
    expect(selected()).toBe(jobs[288]!.record.requestId);
    await press(KEYS.home);
    expect(ids()[0]).toBe(jobs[0]!.record.requestId);
  });

  it("opens the detail pane with the whole record and the request's log lines, and goes back with Esc", async () => {
    const target = jobs.find((j) => j.record.status === "FAILED")!.record;
    const { frame, press, loads } = await mount({
      rows: 30,
      logs: async (r) => ({
        lines: [
          {
            timestamp: NOW - 5000,
            logStream: r.logStream!,
            message: `START RequestId: ${r.requestId} Version: $LATEST`,
          },
          { timestamp: NOW - 4000, logStream: r.logStream!, message: "mafft: progress line from stderr" },
        ],
        streams: [r.logStream!],
      }),
    });
    await press("3", KEYS.enter);
    await settle(50);
    expect(loads).toEqual([target.requestId]);
    const f = frame();
    expect(f).toContain(`job ${target.requestId} FAILED`);
    expect(f).toContain(target.errorMessage!.slice(0, 30));
    expect(f).toMatch(/inputKey\s+batch-/);
    expect(f).toContain("log lines (2 in 1 stream)");
    expect(f).toContain("mafft: progress line from stderr");
    await press(KEYS.escape);
    expect(frame()).not.toContain("log lines (");
    expect(tableLines(frame()).length).toBeGreaterThan(0);
  });

  it("says why the log lines cannot be read instead of failing", async () => {
    const { frame, press } = await mount({ logs: async () => Promise.reject(new Error("no such log group")) });
    await press(KEYS.enter);
    await settle(50);
    expect(frame()).toContain("logs unavailable: no such log group");
  });

  it("updates rows in place as statuses change, keeping the selected job", async () => {
    const source = new MemoryLiveSource(jobs.map(toRow));
    const { frame, press, live } = await mount({ source });
    await press(KEYS.down);
    const running = jobs.findIndex((j, i) => i < 10 && j.record.status === "RUNNING");
    const victim = jobs[running >= 0 ? running : 5]!;
    source.pending = [
      toRow({
        ...victim,
        record: { ...victim.record, status: "SUCCEEDED", durationMs: 4321 },
        updatedAt: new Date(NOW).toISOString(),
      }),
    ];
    source.pending.push(...generateJobs(3, { newestMs: NOW, spacingMs: 1000, seed: 99 }).map(toRow));
    await live.refreshOnce();
    await settle();
    const line = tableLines(frame()).find((l) => l.includes(victim.record.requestId))!;
    expect(line).toContain("SUCCEEDED");
    expect(line).toContain("4.32 s");
    expect(tableLines(frame()).find((l) => l.startsWith("›"))).toContain(jobs[1]!.record.requestId);
    expect(frame()).toContain("0 all 303");
  });

  it("shows a bad record as far as it can be read", async () => {
    const bad = readJobItem({
      pk: "JOB#0bad0bad-0000-4000-a000-000000000000",
      status: "EXPLODED",
      durationMs: "NaN",
      startedAt: 12,
      inputKey: { no: 1 },
      errorMessage: "multi\nline\terror",
      startedKey: `${new Date(NOW).toISOString()}#0bad`,
      updatedKey: "x",
    })!;
    const { frame } = await mount({ source: new MemoryLiveSource([bad, ...jobs.slice(0, 5).map(toRow)]) });
    const line = tableLines(frame())[0]!;
    expect(line).toContain("0bad0bad-0000-4000-a000-000000000000");
    expect(line).toContain("EXPLODED");
    expect(line).toContain("multi line error");
  });

  it("keeps running when a record breaks a component, and shows it again once the record is fixed", async () => {
    // Past readJobItem's checks (a source that hands rows over as they are): the table cannot format it.
    const good = toRow(jobs[0]!);
    const broken = { ...good, record: { ...good.record, inputKey: 5 as unknown as string } };
    const source = new MemoryLiveSource([broken, ...jobs.slice(1, 5).map(toRow)]);
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const { frame, live } = await mount({ source });
      expect(frame()).toMatch(/\(could not show this part: .+\)/);
      // The rest of the view still works: header counts and the status line.
      expect(frame()).toContain("0 all 5");
      expect(frame()).toContain("live · refreshed");
      source.pending = [{ ...good, updatedKey: `${new Date(NOW).toISOString()}#${good.record.requestId}` }];
      await live.refreshOnce();
      await settle();
      expect(frame()).not.toContain("could not show this part");
      expect(tableLines(frame())[0]).toContain(good.record.inputKey!);
    } finally {
      quiet.mockRestore();
    }
  });

  it("shows connection errors in the status line and recovers", async () => {
    const source = new MemoryLiveSource(jobs.map(toRow));
    source.failures = 1;
    const { frame, live } = await mount({ source });
    expect(frame()).toMatch(
      /! cannot reach the jobs table \(connect ECONNREFUSED 127\.0\.0\.1:1\) — retrying in \d+ s \(attempt 1\)/,
    );
    expect(tableLines(frame())).toHaveLength(0);
    await live.refreshOnce();
    await settle();
    expect(frame()).toContain("live · refreshed");
    expect(tableLines(frame())).toHaveLength(13);
  });
});
