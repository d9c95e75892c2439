/**
 * The target options every command that talks to a deployment shares (`--local`, `--outputs`,
 * `--region`, `--profile`), and their resolution into a Target (core/target.ts) by reading
 * `.aligner/local.json` or a stack outputs file.
 */
import type { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { resolveConfig } from "../core/config.ts";
import {
  isLocalEndpoints,
  LOCAL_ENDPOINTS_FILE,
  LOCAL_STATE_DIR,
  type LocalEndpoints,
} from "../core/local-endpoints.ts";
import { processAlive } from "../local/endpoints-file.ts";
import {
  awsTarget,
  checkRegion,
  describeTarget,
  requireResource,
  TargetError,
  targetFromLocalEndpoints,
  type AwsTargetSources,
  type OutputsFile,
  type Target,
} from "../core/target.ts";
import { JobsReader } from "../aws/dynamo/jobs-reader.ts";
import { clientsFor, type TargetClients } from "../aws/target-clients.ts";
import { colorEnabled, paint } from "../tui/terminal-text.ts";

export interface TargetFlags {
  local?: boolean;
  outputs?: string;
  region?: string;
  profile?: string;
}

/** The file `cdktf deploy --outputs-file` is told to write in README.md; found without --outputs. */
export const DEFAULT_OUTPUTS_FILE = "outputs.json";

export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option("--local", `use the local cloud started by aligner dev (reads ${LOCAL_STATE_DIR}/${LOCAL_ENDPOINTS_FILE})`)
    .option(
      "--outputs <file>",
      `stack outputs (cdktf deploy --outputs-file FILE, or terraform output -json); default ${DEFAULT_OUTPUTS_FILE} if present`,
    )
    .option("--region <region>", "AWS region (default: the outputs file, then AWS_REGION)")
    .option("--profile <name>", "AWS profile of the shared config files (default: AWS_PROFILE)");
}

/** `.aligner/local.json` in `dir` or the nearest parent that has one. */
export function findLocalEndpointsFile(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, LOCAL_STATE_DIR, LOCAL_ENDPOINTS_FILE);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new TargetError(
      `${what} ${file} ${code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? (err as Error).message})`}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TargetError(`${what} ${file} is not valid JSON`);
  }
}

/**
 * The nearest `.aligner/local.json` and what it says (`shown`: its path as the user would type
 * it). A missing or unreadable file is a TargetError (exit code 2); whether its cloud still runs
 * is the caller's question (the failure store outlives it).
 */
export function readLocalEndpointsFile(cwd = process.cwd()): { file: string; shown: string; content: LocalEndpoints } {
  const file = findLocalEndpointsFile(cwd);
  if (!file)
    throw new TargetError(
      `no local cloud found: ${LOCAL_STATE_DIR}/${LOCAL_ENDPOINTS_FILE} does not exist here or above; start one with aligner dev`,
    );
  const shown = path.relative(cwd, file) || file;
  const content = readJson(file, "the local cloud file");
  if (!isLocalEndpoints(content))
    throw new TargetError(
      `${shown} is not a local cloud file this version understands; restart the local cloud with aligner dev`,
    );
  return { file, shown, content };
}

export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Target {
  if (flags.local) {
    if (flags.outputs) throw new TargetError("--local and --outputs name two different targets; choose one");
    const { shown, content } = readLocalEndpointsFile(cwd);
    if (!processAlive(content.pid))
      throw new TargetError(
        `the local cloud is not running (${shown} was left by process ${content.pid}, which has ended); start it with aligner dev`,
      );
    return targetFromLocalEndpoints(content, shown);
  }
  return awsTarget(awsSources(flags, env, cwd));
}

/**
 * Where the local cloud of `cwd` is now, asked again each call: the endpoints file's cloud if its
 * process runs, else undefined. What `aligner watch --local` follows a restarted cloud with.
 */
export function locateLocalCloud(cwd = process.cwd()): () => Target | undefined {
  return () => {
    try {
      const { shown, content } = readLocalEndpointsFile(cwd);
      return processAlive(content.pid) ? targetFromLocalEndpoints(content, shown) : undefined;
    } catch {
      // No file, or one being rewritten this instant: not there yet; asked again on the next failure.
      return undefined;
    }
  };
}

/** What an AWS target is resolved from: the configuration, the environment and the outputs files. */
function awsSources(flags: TargetFlags, env: NodeJS.ProcessEnv, cwd: string): AwsTargetSources {
  // The SDK's credential chain reads the profile from the environment.
  if (flags.profile) process.env["AWS_PROFILE"] = flags.profile;
  const config = resolveConfig({ env });
  const read = (file: string): OutputsFile => ({
    path: file,
    content: readJson(path.resolve(cwd, file), "the outputs file"),
  });
  const discovered =
    !flags.outputs && existsSync(path.join(cwd, DEFAULT_OUTPUTS_FILE)) ? read(DEFAULT_OUTPUTS_FILE) : undefined;
  return {
    config,
    env: flags.profile ? { ...env, AWS_PROFILE: flags.profile } : env,
    ...(flags.region !== undefined ? { explicitRegion: checkRegion(flags.region) } : {}),
    ...(flags.outputs ? { explicitOutputs: read(flags.outputs) } : {}),
    ...(discovered ? { discoveredOutputs: discovered } : {}),
  };
}

/** One line on stderr naming the target, when a person is watching (stderr is a terminal). */
export function announceTarget(target: Target, stderr: NodeJS.WriteStream = process.stderr): void {
  if (stderr.isTTY !== true) return;
  stderr.write(`${paint("dim", `target: ${describeTarget(target).summary}`, colorEnabled(stderr))}\n`);
}

export interface OpenedJobsTable {
  target: Target;
  table: string;
  clients: TargetClients;
  reader: JobsReader;
}

/** What the commands that read the jobs table start with: the target (announced), its table, clients (destroy them when done) and a reader. */
export function openJobsTable(flags: TargetFlags): OpenedJobsTable {
  const target = resolveTarget(flags);
  const table = requireResource(target, "jobsTable");
  announceTarget(target);
  const clients = clientsFor(target);
  return { target, table, clients, reader: new JobsReader(clients.dynamo(), table) };
}
