/**
 * `runWatch(options)`: the live view of a resolved target — what `aligner watch` runs, and what
 * `aligner dev --demo` opens on the local cloud it started:
 *
 *   import { runWatch } from "../../tui/run-watch.tsx";
 *   import { targetFromLocalEndpoints } from "../../core/target.ts";
 *   await runWatch({ target: targetFromLocalEndpoints(cloud.endpoints) });
 *
 * On a terminal it renders the Ink view (alternate screen, `q`/Ctrl-C quits and restores the
 * terminal) and resolves when the user quits or `signal` aborts. Otherwise it prints the jobs
 * once (`follow`: one line per change until `signal` aborts). Reads go through the byActivity
 * index only (aws/dynamo/activity-feed.ts); settings come from `watch.*` in core/config.ts.
 * Rejects only on bad options (no jobs table for the target) or, when printing once, if the
 * table cannot be read.
 */
import { render } from "ink";
import type { JobRecord } from "../core/jobs-table.ts";
import { resolveConfig } from "../core/config.ts";
import { describeTarget, requireResource, type Target } from "../core/target.ts";
import { formatSpan } from "../core/time-spec.ts";
import { describeAwsError } from "../aws/errors.ts";
import { findRequestLogs } from "../aws/logs/request-logs.ts";
import { colorEnabled } from "./terminal-text.ts";
import { LiveJobs } from "./live-jobs.ts";
import { WatchConnection } from "./watch-connection.ts";
import { App } from "./App.tsx";
import { changeLine, jobsTable, jsonLine } from "./plain.ts";

export interface WatchOptions {
  target: Target;
  /** How far back the first screen reaches (ms); default one hour. */
  sinceMs?: number;
  /** Override the `watch.*` settings (tests, benchmarks). */
  refreshMs?: number;
  settleMs?: number;
  maxJobs?: number;
  /** Not a terminal: keep printing changes instead of printing once. */
  follow?: boolean;
  /** Not a terminal: JSON lines instead of a table. */
  json?: boolean;
  /** Force the Ink view (true) or plain output (false); default: whether stdout is a TTY. */
  interactive?: boolean;
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  /** Stops the view (and resolves runWatch). */
  signal?: AbortSignal;
  /**
   * Where the target is now, asked when reads fail (`aligner watch --local` re-reads
   * .aligner/local.json): a local cloud that restarted on new ports is followed (tui/watch-connection.ts).
   */
  locate?: () => Target | undefined;
}

const HOUR_MS = 3_600_000;
/** RUNNING jobs unchanged this long are re-read by id (tui/live-jobs.ts). */
const STALE_MS = 60_000;
/** How often a failing view looks for its target again (opts.locate). */
const LOOK_AGAIN_MS = 1000;

export async function runWatch(opts: WatchOptions): Promise<void> {
  const env = opts.env ?? process.env;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const settings = resolveConfig({ env }).watch;
  const table = requireResource(opts.target, "jobsTable");
  const sinceMs = opts.sinceMs ?? HOUR_MS;
  const conn = new WatchConnection(opts.target, {
    settleMs: opts.settleMs ?? settings.settleMs,
    ...(opts.locate ? { locate: opts.locate } : {}),
  });
  // Endpoints as they are when the error is told: they change when the cloud moves.
  const describeError = (err: unknown) => {
    const endpoint = conn.target.local?.endpoints.dynamodb;
    return describeAwsError(err, { doing: `reading the jobs table ${table}`, ...(endpoint ? { endpoint } : {}) });
  };
  const describeLogsError = (err: unknown) => {
    const endpoint = conn.target.local?.endpoints.logs;
    return describeAwsError(err, { doing: "reading the log lines", ...(endpoint ? { endpoint } : {}) });
  };
  const live = new LiveJobs(conn.source(describeError), {
    sinceMs: conn.now() - sinceMs,
    maxJobs: opts.maxJobs ?? settings.maxJobs,
    refreshMs: opts.refreshMs ?? settings.refreshMs,
    staleMs: STALE_MS,
    now: () => conn.now(),
  });
  // While reads fail, look for the target every second: a restarted cloud is read at once, not
  // at the end of a backoff that may have grown to half a minute.
  const looking = opts.locate
    ? setInterval(() => {
        if (live.snapshot().status.phase === "retrying" && conn.follow()) live.retryNow();
      }, LOOK_AGAIN_MS)
    : undefined;
  looking?.unref();
  const color = colorEnabled(stdout, env);
  const interactive = opts.interactive ?? (stdout.isTTY === true && (opts.stdin ?? process.stdin).isTTY === true);
  try {
    if (interactive)
      await interactiveView(opts, live, {
        color,
        describeError,
        describeLogsError,
        loadLogs: logLoader(conn),
      });
    else if (opts.follow) await followChanges(opts, live, { color, stdout, stderr });
    else await printOnce(live, { color, json: opts.json === true, stdout, describeError });
  } finally {
    clearInterval(looking);
    await live.stop();
    conn.destroy();
  }
}

function logLoader(conn: WatchConnection) {
  return async (record: JobRecord) => {
    const logGroup = record.logGroup ?? requireResource(conn.target, "alignerLogGroup");
    const now = Date.now();
    return findRequestLogs(conn.clients.logs(), {
      logGroup,
      requestId: record.requestId,
      record,
      sinceMs: now - 24 * HOUR_MS,
      untilMs: now,
    });
  };
}

async function interactiveView(
  opts: WatchOptions,
  live: LiveJobs,
  deps: {
    color: boolean;
    describeError: (err: unknown) => string;
    describeLogsError: (err: unknown) => string;
    loadLogs: ReturnType<typeof logLoader>;
  },
): Promise<void> {
  const instance = render(
    <App
      live={live}
      target={describeTarget(opts.target).summary}
      windowLabel={`jobs written since ${new Date(Date.now() - (opts.sinceMs ?? HOUR_MS)).toTimeString().slice(0, 5)} (last ${formatSpan(opts.sinceMs ?? HOUR_MS)} at start)`}
      loadLogs={deps.loadLogs}
      describeError={deps.describeLogsError}
      color={deps.color}
    />,
    {
      ...(opts.stdout ? { stdout: opts.stdout } : {}),
      ...(opts.stdin ? { stdin: opts.stdin } : {}),
      ...(opts.stderr ? { stderr: opts.stderr } : {}),
      exitOnCtrlC: false,
      // This view runs only when runWatch found a terminal on both ends. Ink would otherwise fall
      // back to printing just the last frame whenever CI=true is set (is-in-ci), even on a TTY.
      interactive: true,
      alternateScreen: true,
      // Only the rows that changed are rewritten: less flicker over slow links.
      incrementalRendering: true,
    },
  );
  const abort = () => instance.unmount();
  opts.signal?.addEventListener("abort", abort, { once: true });
  live.start();
  try {
    await instance.waitUntilExit();
  } finally {
    opts.signal?.removeEventListener("abort", abort);
  }
}

async function printOnce(
  live: LiveJobs,
  deps: { color: boolean; json: boolean; stdout: NodeJS.WritableStream; describeError: (err: unknown) => string },
): Promise<void> {
  if (!(await live.refreshOnce()))
    throw new WatchReadError(live.snapshot().status.error ?? "the jobs table could not be read");
  const records = live.list.all().map((r) => r.record);
  if (deps.json) deps.stdout.write(records.map((r) => `${jsonLine(r)}\n`).join(""));
  else
    deps.stdout.write(
      records.length ? `${jobsTable(records, { color: deps.color, nowMs: Date.now() })}\n` : "no jobs in this window\n",
    );
}

async function followChanges(
  opts: WatchOptions,
  live: LiveJobs,
  deps: { color: boolean; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
): Promise<void> {
  let lastError: string | undefined;
  let lastNoticeMs: number | undefined;
  live.onChange((rows) => {
    const now = Date.now();
    // Oldest first, as a log reads.
    const ordered = [...rows].sort((a, b) => (a.updatedKey < b.updatedKey ? -1 : 1));
    deps.stdout.write(
      ordered
        .map((r) => `${opts.json ? jsonLine(r.record) : changeLine(r, { color: deps.color, nowMs: now })}\n`)
        .join(""),
    );
  });
  const unsubscribe = live.subscribe(() => {
    const s = live.snapshot().status;
    const notice = s.notice && s.notice.atMs !== lastNoticeMs ? s.notice : undefined;
    if (notice) lastNoticeMs = notice.atMs;
    if (s.phase === "retrying" && s.error !== lastError) deps.stderr.write(`aligner: ${s.error}; retrying\n`);
    // One line for a recovery: the notice says how (a restarted cloud), or just that it reads again.
    if (notice) deps.stderr.write(`aligner: ${notice.text}\n`);
    else if (s.phase === "live" && lastError !== undefined) deps.stderr.write("aligner: reading again\n");
    lastError = s.phase === "retrying" ? s.error : undefined;
  });
  live.start();
  await new Promise<void>((resolve) => {
    if (opts.signal?.aborted) return resolve();
    opts.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  unsubscribe();
}

export class WatchReadError extends Error {
  override name = "WatchReadError";
}
