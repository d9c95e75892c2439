/**
 * `aligner dev [--demo]`: the embedded local cloud (local/cloud.ts) in the foreground.
 *
 * Prints the endpoints, writes `<state>/local.json` so `aligner ... --local` finds it, and then
 * one line per invocation, retry and failure until Ctrl-C (or SIGTERM), which stops cleanly:
 * running jobs get `--stop-grace` seconds, log deliveries are flushed, the function processes end
 * and the servers close; whatever could not run stays queued in the state folder for the next
 * start. A second Ctrl-C ends the function processes at once.
 *
 * `--demo` (what `npm start` runs) uploads the bundled demo inputs (local/demo/) and opens the
 * live view (tui/run-watch.tsx); quitting the view stops the cloud. Not on a terminal, the view
 * prints one line per job change instead.
 */
import type { Command } from "commander";
import path from "node:path";
import { LOCAL_STATE_DIR } from "../../core/local-endpoints.ts";
import { targetFromLocalEndpoints } from "../../core/target.ts";
import { startLocalCloud, LocalCloudError, type CloudEvent, type LocalCloud, type Service } from "../../local/cloud.ts";
import { demoOverrides, uploadDemoInputs, type DemoUpload } from "../../local/demo/demo.ts";
import { runWatch } from "../../tui/run-watch.tsx";
import { CliError, EXIT, UsageError } from "../errors.ts";
import { colorEnabled, paint } from "../../tui/terminal-text.ts";

interface DevOptions {
  demo?: boolean;
  view: boolean;
  stateDir: string;
  ephemeral?: boolean;
  s3Port?: string;
  dynamodbPort?: string;
  logsPort?: string;
  sqsPort?: string;
  stopGrace: string;
  verbose?: boolean;
  json?: boolean;
}

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description(
      "run the whole pipeline on this machine: S3, DynamoDB, Lambda, CloudWatch Logs and the failure queues (SQS), locally (Ctrl-C stops)",
    )
    .option("--demo", "upload the bundled demo inputs and open the live view (what npm start runs)")
    .option("--no-view", "with --demo: print job changes as lines instead of opening the live view")
    .option(
      "--state-dir <dir>",
      "where data is kept across runs (local.json, tables, objects, logs, queues)",
      LOCAL_STATE_DIR,
    )
    .option(
      "--ephemeral",
      "keep the data in a temporary folder, removed on exit (local.json still goes to --state-dir)",
    )
    .option("--s3-port <port>", "S3 port (default: any free port)")
    .option("--dynamodb-port <port>", "DynamoDB port (default: any free port)")
    .option("--logs-port <port>", "CloudWatch Logs port (default: any free port)")
    .option("--sqs-port <port>", "SQS port, for the on-failure queues (default: any free port)")
    .option("--stop-grace <seconds>", "on Ctrl-C, how long running invocations may finish", "10")
    .option("--verbose", "also print every log-processor invocation")
    .option("--json", "print events as JSON lines (the first one holds the endpoints)")
    .addHelpText(
      "after",
      "\nOther commands reach it with --local, e.g.:\n  aligner submit --local my.fasta --wait\n  aligner watch --local\n  aligner failures --local\n\nSettings come from the ALIGNER_* variables (aligner config lists them); local.* ones tune the local cloud.",
    )
    .action(async (opts: DevOptions) => runDev(opts));
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  // Digits only: Number() would also take "", " 80" and "0x50".
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n >= 0 && n <= 65535))
    throw new UsageError(`${flag} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

async function runDev(opts: DevOptions): Promise<void> {
  const grace = Number(opts.stopGrace);
  if (!Number.isFinite(grace) || grace < 0)
    throw new UsageError(`--stop-grace must be a number of seconds, got ${JSON.stringify(opts.stopGrace)}`);
  const ports: Partial<Record<Service, number>> = {};
  for (const [service, value, flag] of [
    ["s3", opts.s3Port, "--s3-port"],
    ["dynamodb", opts.dynamodbPort, "--dynamodb-port"],
    ["logs", opts.logsPort, "--logs-port"],
    ["sqs", opts.sqsPort, "--sqs-port"],
  ] as const) {
    const p = port(value, flag);
    if (p !== undefined) ports[service] = p;
  }
  const out = new DevOutput(process.stdout, opts);
  const interactiveView =
    opts.demo === true &&
    opts.view &&
    opts.json !== true &&
    process.stdout.isTTY === true &&
    process.stdin.isTTY === true;

  // Signals are ours from the start: a Ctrl-C while the cloud starts lets it finish starting and
  // then stops it cleanly, instead of killing the process with servers and folders half made.
  const stop = new AbortController();
  let interrupts = 0;
  let cloud: LocalCloud | undefined;
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) {
      if (!cloud) out.info("interrupted: stopping as soon as the local cloud has started (Ctrl-C again exits at once)");
      stop.abort();
      return;
    }
    if (!cloud) {
      out.info("second interrupt while starting: exiting now");
      process.exit(EXIT.failure);
    }
    out.info("second interrupt: ending the function processes now (queued events stay for the next start)");
    cloud.killNow();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    out.info("starting the local cloud (bundling the functions, preparing MAFFT, starting the servers)…");
    try {
      cloud = await startLocalCloud({
        stateDir: opts.stateDir,
        ephemeral: opts.ephemeral === true,
        ...(opts.demo ? { overrides: demoOverrides(process.env) } : {}),
        ports,
        writeEndpointsFile: true,
        stopGraceMs: grace * 1000,
        onEvent: (e) => out.event(e),
      });
    } catch (err) {
      if (err instanceof LocalCloudError) throw new CliError(err.message, EXIT.failure);
      // Only a port given on the command line can be taken (the defaults pick a free one).
      if ((err as NodeJS.ErrnoException).code === "EADDRINUSE")
        throw new UsageError(
          `a port is already in use (${(err as Error).message}); choose others with --s3-port, --dynamodb-port, --logs-port, --sqs-port or leave them free`,
        );
      throw err;
    }
    out.banner(cloud, opts.ephemeral === true);
    // Whatever happens from here (a failed upload, a view that throws), the cloud stops cleanly:
    // its function processes end, local.json goes, an ephemeral folder is removed.
    try {
      await serve(cloud, opts, out, interactiveView, stop.signal);
    } finally {
      out.muted = false;
      out.info(`stopping: running invocations get up to ${grace} s, then log deliveries are flushed…`);
      const started = Date.now();
      await cloud.stop();
      out.stopped(cloud, opts.ephemeral === true, Date.now() - started);
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Until Ctrl-C (or the live view is quit): the demo's uploads and view, or just serving. */
async function serve(
  cloud: LocalCloud,
  opts: DevOptions,
  out: DevOutput,
  interactiveView: boolean,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return; // interrupted while starting
  if (!opts.demo) {
    out.info("ready; Ctrl-C stops.");
    await aborted(signal);
    return;
  }
  const uploads = await uploadDemoInputs(cloud);
  out.uploads(uploads);
  const target = targetFromLocalEndpoints(
    cloud.endpoints,
    path.relative(process.cwd(), cloud.endpointsFile) || cloud.endpointsFile,
  );
  if (interactiveView) {
    out.muted = true; // the view owns the screen
    await runWatch({ target, interactive: true, signal });
  } else if (opts.view && opts.json !== true) {
    out.info("job changes (Ctrl-C stops):");
    await runWatch({ target, interactive: false, follow: true, signal });
  } else {
    await aborted(signal);
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true }),
  );
}

/** What `aligner dev` prints: text for people, or JSON lines with --json. */
class DevOutput {
  muted = false;
  private readonly color: boolean;
  private processorRuns = 0;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly opts: Pick<DevOptions, "json" | "verbose">,
  ) {
    this.color = colorEnabled(stream);
  }

  private write(line: string): void {
    if (!this.muted) this.stream.write(`${line}\n`);
  }

  private json(value: Record<string, unknown>): void {
    if (!this.muted) this.stream.write(`${JSON.stringify(value)}\n`);
  }

  info(text: string): void {
    if (this.opts.json) return;
    this.write(paint("dim", text, this.color));
  }

  banner(cloud: LocalCloud, ephemeral: boolean): void {
    const e = cloud.endpoints;
    if (this.opts.json) {
      this.json({
        type: "ready",
        stateDir: cloud.stateDir,
        endpointsFile: cloud.endpointsFile,
        ephemeral,
        mafft: cloud.mafftSource,
        ...e,
      });
      return;
    }
    const r = e.resources;
    const state = path.relative(process.cwd(), cloud.stateDir) || cloud.stateDir;
    const rows: [string, string][] = [
      ["S3", `${e.endpoints.s3}  buckets ${r.inputBucket} (input, notifies the aligner), ${r.outputBucket}`],
      ["DynamoDB", `${e.endpoints.dynamodb}  table ${r.jobsTable}`],
      ["CloudWatch Logs", `${e.endpoints.logs}  groups ${r.alignerLogGroup}, ${r.logProcessorLogGroup}`],
      ["SQS", `${e.endpoints.sqs}  on-failure queues ${Object.values(e.failureQueues).join(", ")}`],
      [
        "Lambda",
        `${r.alignerFunction} (${cloud.config.aligner.memoryMb} MB, ${cloud.config.aligner.timeoutSeconds} s), ${r.logProcessorFunction} (${cloud.config.processor.memoryMb} MB, ${cloud.config.processor.timeoutSeconds} s)`,
      ],
      ["credentials", `${e.credentials.accessKeyId} / ${e.credentials.secretAccessKey}, region ${e.region}`],
      ["MAFFT", cloud.mafftSource],
      [
        "state",
        `${state}${ephemeral ? " (temporary, removed on exit)" : ""}; endpoints in ${path.relative(process.cwd(), cloud.endpointsFile) || cloud.endpointsFile}`,
      ],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    this.write(paint("bold", `lambda-aligner local cloud (pid ${e.pid})`, this.color));
    for (const [k, v] of rows) this.write(`  ${k.padEnd(width)}  ${v}`);
    this.write(
      paint(
        "dim",
        "  other commands: aligner submit --local FILE --wait · aligner watch --local · aligner failures --local",
        this.color,
      ),
    );
  }

  uploads(list: DemoUpload[]): void {
    if (this.opts.json) {
      for (const u of list) this.json({ type: "upload", ...u });
      return;
    }
    this.write(`uploaded ${list.length} demo inputs:`);
    for (const u of list) this.write(`  ${u.key}  (${u.bytes} bytes) → expect ${u.expected}`);
  }

  event(e: CloudEvent): void {
    if (this.opts.json) {
      this.json({ at: new Date().toISOString(), ...flatten(e) });
      return;
    }
    const time = new Date().toISOString().slice(11, 19);
    const fn = (id: string) => (id === "aligner" ? "aligner" : "log-processor");
    switch (e.type) {
      case "notification":
        this.write(`${time}  s3 ObjectCreated ${e.key} → aligner ${e.requestId}`);
        return;
      case "invocation": {
        const r = e.record;
        if (e.function === "logProcessor") {
          this.processorRuns++;
          if (r.outcome.ok && !this.opts.verbose) return;
        }
        const outcome = r.outcome.ok
          ? paint("green", "ok", this.color)
          : r.outcome.kind === "interrupted"
            ? paint("yellow", "interrupted by the stop (runs again at the next start)", this.color)
            : paint(
                "red",
                `${r.outcome.kind === "timeout" ? "timed out" : "error"} ${r.outcome.error.errorType}`,
                this.color,
              );
        const start = r.coldStart ? `cold (init ${Math.round(r.initDurationMs ?? 0)} ms)` : "warm";
        this.write(
          `${time}  ${fn(e.function)} ${r.requestId} attempt ${r.attempt}: ${outcome}  ${Math.round(r.durationMs)} ms  ${start}  ${r.maxMemoryUsedMb} MB max`,
        );
        return;
      }
      case "retry":
        this.write(
          `${time}  ${fn(e.function)} ${e.requestId}: retry (attempt ${e.attempt}) in ${(e.delayMs / 1000).toFixed(1)} s`,
        );
        return;
      case "failure":
        this.write(
          paint(
            "yellow",
            `${time}  ${fn(e.function)} ${e.requestId}: ${e.condition} after ${e.attempts} attempt(s) → on-failure destination (aligner failures --local)`,
            this.color,
          ),
        );
    }
  }

  stopped(cloud: LocalCloud, ephemeral: boolean, ms: number): void {
    const queued = Object.values(cloud.functions).reduce((n, f) => n + f.invoker.pending, 0);
    if (this.opts.json) {
      this.json({ type: "stopped", ms, queued, processorInvocations: this.processorRuns });
      return;
    }
    const state = path.relative(process.cwd(), cloud.stateDir) || cloud.stateDir;
    this.write(
      `stopped in ${(ms / 1000).toFixed(1)} s${queued ? `; ${queued} queued event(s) will run at the next start` : ""}${ephemeral ? "" : `; data kept in ${state}`}.`,
    );
  }
}

function flatten(e: CloudEvent): Record<string, unknown> {
  if (e.type !== "invocation") return { ...e };
  const { outcome, ...rest } = e.record;
  return {
    type: e.type,
    function: e.function,
    ...rest,
    ok: outcome.ok,
    ...(outcome.ok
      ? {}
      : { failure: outcome.kind, errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage }),
  };
}
