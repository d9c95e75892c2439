/** Runs a command's AWS work so that any SDK or network failure ends as one sentence with exit code 1. */
import { InvalidArgumentError } from "commander";
import type { Target } from "../core/target.ts";
import { describeAwsError } from "../aws/errors.ts";
import { asCliError, CliError, EXIT } from "./errors.ts";

export async function withAws<T>(target: Target, doing: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const known = asCliError(err);
    if (known) throw known;
    const endpoint = target.local?.endpoints.dynamodb;
    const wrapped = new CliError(
      describeAwsError(err, { doing, ...(endpoint ? { endpoint: "the local cloud" } : {}) }),
      EXIT.failure,
    );
    if (err instanceof Error) wrapped.stack = err.stack ?? "";
    throw wrapped;
  }
}

/** Parses a whole number option (commander passes strings); commander reports a bad one as a usage error. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (raw: string): number => {
    const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        `must be a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}.`,
      );
    return n;
  };
}
