/**
 * The live view at 10,000 and 100,000 jobs with 10 changing per second.
 *
 * 1. Items read per refresh (dynalite, the real ActivityFeed): target ≤ changed items + one per
 *    index partition queried. Baseline in the same run: a refresh that re-reads the view's window
 *    (what a view without the activity index would do) — the ratio shows what the index saves.
 * 2. Render time per frame (the real Ink App in an interactive terminal of 160×50, React in
 *    production mode as the CLI runs it, frames of 10 changed jobs, timed from the refresh to
 *    Ink's commit of the frame): target p95 ≤ 16 ms.
 *    Baseline in the same run: the same frames over 100 jobs.
 *
 * Simulated time: the writes are stamped one second apart and the feed's clock is moved by hand,
 * so the benchmark measures reads and rendering, not waiting.
 */
import { startDynalite } from "../test/helpers/dynalite.ts";
import { Writable } from "node:stream";
import { EventEmitter } from "node:events";
import { activityPartitions, activityWindow } from "../core/job-queries.ts";
import { INDEX_SHARDS, createJobsTableInput } from "../core/jobs-table.ts";
import { readJobItem } from "../core/job-item.ts";
import { percentile } from "../core/job-stats.ts";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { JobsReader } from "../aws/dynamo/jobs-reader.ts";
import { ActivityFeed } from "../aws/dynamo/activity-feed.ts";
import { LiveJobs } from "../tui/live-jobs.ts";
import { MemoryLiveSource } from "../test/helpers/memory-live-source.ts";
import { generateJobs, jobItem, updateJob, writeJobs, type GeneratedJob } from "../test/helpers/job-records.ts";
import { rng } from "../test/helpers/random.ts";

// As bin/aligner.js runs it: React in production mode (it is chosen when React is first loaded).
process.env["NODE_ENV"] ??= "production";
const { createElement } = await import("react");
const { render } = await import("ink");
const { App } = await import("../tui/App.tsx");

const SIZES = [10_000, 100_000];
const CHANGES_PER_SECOND = 10;
const REFRESHES = 30;
const FRAMES = 150;
/** Frames rendered first and not timed: the JIT and the caches warm up. */
const WARMUP_FRAMES = 20;
const T0 = Date.parse("2026-11-24T12:00:00Z");
const HOUR = 3_600_000;

const fmt = (n: number, d = 1) => n.toFixed(d);

async function readsPerRefresh(n: number): Promise<void> {
  const db = await startDynalite({ onDisk: true });
  try {
    const admin = db.client();
    await admin.send(new CreateTableCommand(createJobsTableInput("bench-jobs")));
    // n jobs over the hour before T0, each last written when it ended.
    const jobs = generateJobs(n, { newestMs: T0 - 10_000, spacingMs: (HOUR - 20_000) / n, seed: n });
    const started = performance.now();
    await writeJobs(admin, "bench-jobs", jobs, 8);
    const writeS = (performance.now() - started) / 1000;

    let now = T0;
    const reader = new JobsReader(db.client(), "bench-jobs");
    const feed = new ActivityFeed(reader, { settleMs: 1000, clock: { now: () => now } });
    const first = await feed.load(T0 - HOUR, n);
    const rand = rng(7);
    const reads: number[] = [];
    const budgets: number[] = [];
    let queries = 0;
    for (let r = 0; r < REFRESHES; r++) {
      const changed = new Set<number>();
      while (changed.size < CHANGES_PER_SECOND) changed.add(Math.floor(rand() * jobs.length));
      let k = 0;
      for (const i of changed) {
        jobs[i] = await updateJob(
          admin,
          "bench-jobs",
          jobs[i]!,
          { status: "SUCCEEDED" },
          new Date(now - 990 + k++ * 90).toISOString(),
        );
      }
      now += 1000;
      const read = await feed.changes();
      if (read.rows.length !== changed.size)
        throw new Error(`refresh ${r} saw ${read.rows.length} of ${changed.size} changed jobs`);
      reads.push(read.itemsRead);
      budgets.push(changed.size + INDEX_SHARDS);
      queries += read.queries;
    }
    // Baseline: re-reading the whole window on a refresh.
    const before = reader.counts.items;
    let windowRows = 0;
    for await (const _ of reader.newestFirst(activityPartitions(), activityWindow(T0 - HOUR, now - 1000))) windowRows++;
    const fullRead = reader.counts.items - before;
    const worst = Math.max(...reads.map((x, i) => x / budgets[i]!));
    const mean = reads.reduce((a, b) => a + b, 0) / reads.length;
    console.log(
      `${n.toLocaleString("en")} jobs (written in ${fmt(writeS)} s): first load read ${first.itemsRead} items for ${first.rows.length} jobs; ` +
        `per refresh ${fmt(mean)} items read for ${CHANGES_PER_SECOND} changed (${queries / REFRESHES} queries), ` +
        `worst ratio to the target (changed + ${INDEX_SHARDS} partitions) ${fmt(worst, 2)} (target ≤ 1.00); ` +
        `re-reading the window instead: ${fullRead} items (${windowRows} jobs), ${fmt(fullRead / mean, 0)}× more`,
    );
    if (worst > 1) process.exitCode = 1;
  } finally {
    await db.close();
  }
}

/** A terminal for Ink: interactive, 160×50, output counted and dropped. */
function fakeTerminal(): { stdout: NodeJS.WriteStream; stdin: NodeJS.ReadStream; bytes: () => number } {
  let bytes = 0;
  const stdout = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        bytes += chunk.length;
        cb();
      },
    }),
    { isTTY: true, columns: 160, rows: 50 },
  ) as unknown as NodeJS.WriteStream;
  const stdin = Object.assign(new EventEmitter(), {
    isTTY: true,
    setRawMode: () => undefined,
    setEncoding: () => undefined,
    resume: () => undefined,
    pause: () => undefined,
    ref: () => undefined,
    unref: () => undefined,
    read: () => null,
  }) as unknown as NodeJS.ReadStream;
  return { stdout, stdin, bytes: () => bytes };
}

async function frameTimes(n: number): Promise<{ p50: number; p95: number; max: number; bytesPerFrame: number }> {
  let jobs: GeneratedJob[] = generateJobs(n, { newestMs: T0 - 10_000, spacingMs: (HOUR - 20_000) / n, seed: n + 1 });
  const source = new MemoryLiveSource(jobs.map((j) => readJobItem(jobItem(j))!));
  let now = T0;
  const live = new LiveJobs(source, {
    sinceMs: T0 - HOUR,
    maxJobs: n,
    refreshMs: 1000,
    staleMs: 60_000,
    now: () => now,
  });
  await live.refreshOnce();
  const term = fakeTerminal();
  let committed: (() => void) | undefined;
  const app = render(
    createElement(App, {
      live,
      target: "bench",
      windowLabel: "jobs of the last 1h",
      loadLogs: async () => ({ lines: [], streams: [] }),
      describeError: String,
      color: true,
      now: () => now,
    }),
    {
      stdout: term.stdout,
      stdin: term.stdin,
      debug: false,
      patchConsole: false,
      exitOnCtrlC: false,
      maxFps: 10_000,
      interactive: true,
      incrementalRendering: true,
      onRender: () => committed?.(),
    },
  );
  await new Promise((r) => setTimeout(r, 50));
  const rand = rng(3);
  const times: number[] = [];
  let startBytes = term.bytes();
  for (let f = 0; f < WARMUP_FRAMES + FRAMES; f++) {
    now += 1000;
    const changed = new Set<number>();
    while (changed.size < CHANGES_PER_SECOND) changed.add(Math.floor(rand() * Math.min(jobs.length, 200)));
    source.pending = [...changed].map((i) => {
      const j = jobs[i]!;
      jobs[i] = {
        ...j,
        record: { ...j.record, status: j.record.status === "RUNNING" ? "SUCCEEDED" : "RUNNING", durationMs: 1000 + f },
        updatedAt: new Date(now).toISOString(),
      };
      return readJobItem(jobItem(jobs[i]!))!;
    });
    if (f === WARMUP_FRAMES) startBytes = term.bytes();
    const frame = new Promise<void>((resolve) => (committed = resolve));
    const t0 = performance.now();
    await live.refreshOnce();
    await frame;
    if (f >= WARMUP_FRAMES) times.push(performance.now() - t0);
    // Frames a second apart in real use: let timers and GC run between them.
    await new Promise((r) => setImmediate(r));
  }
  app.unmount();
  await live.stop();
  jobs = [];
  const sorted = [...times].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1)!,
    bytesPerFrame: (term.bytes() - startBytes) / FRAMES,
  };
}

console.log(`# Live view: ${CHANGES_PER_SECOND} jobs changing per second`);
console.log("\n## Items read per refresh (dynalite, activity index, a Query per shard)");
for (const n of SIZES) await readsPerRefresh(n);

console.log("\n## Render time per frame (Ink, 160×50, 10 changed jobs per frame)");
const base = await frameTimes(100);
console.log(`baseline 100 jobs: p50 ${fmt(base.p50, 2)} ms, p95 ${fmt(base.p95, 2)} ms`);
for (const n of SIZES) {
  const t = await frameTimes(n);
  console.log(
    `${n.toLocaleString("en")} jobs: p50 ${fmt(t.p50, 2)} ms, p95 ${fmt(t.p95, 2)} ms (${fmt(t.p95 / base.p95, 2)}× the 100-job baseline), max ${fmt(t.max, 1)} ms, ${fmt(t.bytesPerFrame, 0)} bytes written per frame; target p95 ≤ 16 ms`,
  );
  if (t.p95 > 16) process.exitCode = 1;
}
