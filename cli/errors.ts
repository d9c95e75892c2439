/**
 * Errors the CLI reports as one sentence, with the exit code they mean:
 * 0 ok, 1 a job or query failed, 2 usage or input error.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failure,
  ) {
    super(message);
  }
}

export class UsageError extends CliError {
  override name = "UsageError";
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/**
 * Errors from core/ that mean the user asked for something that cannot be (a target without a
 * needed name, an unreadable time): shown as usage errors, exit code 2.
 */
const INPUT_ERROR_NAMES = new Set(["TargetError", "TimeSpecError"]);

export function asCliError(err: unknown): CliError | undefined {
  if (err instanceof CliError) return err;
  if (err instanceof Error && INPUT_ERROR_NAMES.has(err.name)) {
    const usage = new UsageError(err.message);
    usage.stack = err.stack ?? "";
    return usage;
  }
  return undefined;
}
