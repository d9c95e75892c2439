/** The `aligner` command line: one program, one module per subcommand (cli/commands/). */
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { asCliError, CliError, EXIT } from "./errors.ts";
import { ConfigError } from "../core/config.ts";
import { registerConfig } from "./commands/config.ts";
import { registerDev } from "./commands/dev.ts";
import { registerFailures } from "./commands/failures.ts";
import { registerFetch } from "./commands/fetch.ts";
import { registerParse } from "./commands/parse.ts";
import { registerSubmit } from "./commands/submit.ts";
import { registerWatch } from "./commands/watch.ts";
import { registerHistory } from "./commands/history.ts";
import { registerLogs } from "./commands/logs.ts";
import { registerReconcile } from "./commands/reconcile.ts";
import { registerStats } from "./commands/stats.ts";
import { registerTarget } from "./commands/target.ts";

const SUBCOMMANDS: ((program: Command) => void)[] = [
  registerSubmit,
  registerWatch,
  registerFetch,
  registerHistory,
  registerLogs,
  registerStats,
  registerReconcile,
  registerTarget,
  registerParse,
  registerConfig,
  registerDev,
  registerFailures,
];

export function buildProgram(): Command {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  const program = new Command("aligner")
    .description("Run MAFFT on AWS Lambda and see, request by request, what happened.")
    .version(pkg.version)
    .option("--debug", "print stack traces of errors")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of SUBCOMMANDS) register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const debug = argv.includes("--debug");
    const known = asCliError(err) ?? (err instanceof ConfigError ? err : undefined);
    if (known) {
      process.stderr.write(`aligner: ${known.message}\n`);
      if (debug) process.stderr.write(`${known.stack}\n`);
      return known instanceof CliError ? known.exitCode : EXIT.usage;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`aligner: ${message}${debug ? "" : " (run with --debug for details)"}\n`);
    if (debug && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return EXIT.failure;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined && /(?:bin[/\\]aligner(?:\.js)?|cli[/\\]main\.ts)$/.test(process.argv[1]);
if (invokedDirectly) {
  // `aligner history | head`: the reader went away; stop quietly, as Unix tools do.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  process.exitCode = await main(process.argv.slice(2));
}
