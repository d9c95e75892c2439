/**
 * One sentence for an AWS SDK or network error, saying what failed and what to do — for the
 * CLI's error line and the live view's status line. Knows the shapes the SDK throws (service
 * exceptions by `name`, credential provider errors, Node's network error codes).
 */

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  $metadata?: { httpStatusCode?: number };
}

function networkCode(err: unknown): string | undefined {
  for (let e = err as ErrorLike | undefined, depth = 0; e && depth < 5; e = e.cause as ErrorLike | undefined, depth++) {
    if (typeof e.code === "string" && /^E[A-Z]+$/.test(e.code)) return e.code;
    const errors = (e as { errors?: unknown[] }).errors;
    if (Array.isArray(errors)) {
      const inner = errors.map(networkCode).find((c) => c !== undefined);
      if (inner) return inner;
    }
  }
  return undefined;
}

export interface ErrorContext {
  /** What was being done: "reading the jobs table lambda-aligner-jobs". */
  doing: string;
  /** The endpoint, when it is not AWS's own (the local cloud). */
  endpoint?: string;
}

export function describeAwsError(err: unknown, ctx: ErrorContext): string {
  const e = (err ?? {}) as ErrorLike;
  const name = e.name ?? "";
  const message = (e.message ?? String(err)).replace(/\s+/g, " ").trim();
  const code = networkCode(err);
  if (
    code === "ECONNREFUSED" ||
    code === "ECONNRESET" ||
    code === "EHOSTUNREACH" ||
    code === "ENOTFOUND" ||
    code === "ETIMEDOUT" ||
    code === "EAI_AGAIN"
  ) {
    const where = ctx.endpoint ?? "AWS";
    const hint = ctx.endpoint
      ? " (is the local cloud still running? start it with aligner dev)"
      : " (check the network and AWS_REGION)";
    return `${ctx.doing}: cannot reach ${where} (${code})${hint}`;
  }
  if (/credential/i.test(name) || /Could not load credentials/i.test(message)) {
    return `${ctx.doing}: no AWS credentials found; set AWS_PROFILE or run aws configure (or use --local for the local cloud)`;
  }
  if (name === "ResourceNotFoundException")
    return `${ctx.doing}: ${message.replace(/\.$/, "")} (is the stack deployed in this region, and the name right?)`;
  if (name === "AccessDeniedException" || name === "AccessDenied" || e.$metadata?.httpStatusCode === 403) {
    return `${ctx.doing}: access denied (${message.replace(/\.$/, "")})`;
  }
  if (name === "ExpiredTokenException" || name === "ExpiredToken")
    return `${ctx.doing}: the AWS session has expired; log in again (aws sso login)`;
  return `${ctx.doing}: ${message}${name && !message.includes(name) ? ` (${name})` : ""}`;
}
