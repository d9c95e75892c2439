/**
 * Security posture of a synthesized stack: walks the Terraform JSON and lists every violation of
 * the project's defaults. Pure; used by the test suite on the real stack and on broken ones.
 */

export interface Violation {
  rule:
    | "bucket-public-access"
    | "bucket-encryption"
    | "bucket-tls-only"
    | "table-pitr"
    | "log-retention"
    | "iam-wildcard-action"
    | "iam-wildcard-resource"
    | "permission-source-arn"
    | "queue-encryption";
  resource: string;
  detail: string;
}

type Json = Record<string, unknown>;
type Block = Record<string, Json>;

export interface SynthesizedStack {
  resource?: Record<string, Block>;
  data?: Record<string, Block>;
}

export interface IamStatement {
  effect: string;
  actions: string[];
  resources: string[];
  conditions: { test: string; variable: string; values: string[] }[];
}

/**
 * Actions that AWS offers no resource-level permissions for: only these may be granted on "*".
 * Keep the list short and say why each is here.
 */
export const ACTIONS_WITHOUT_RESOURCE_SCOPE: ReadonlySet<string> = new Set([
  "xray:PutTraceSegments", // X-Ray tracing has no resource ARNs
  "xray:PutTelemetryRecords",
]);

const REF = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\.([a-z0-9_]+))?\}$/;
const DATA_REF = /^\$\{data\.([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

/** `"${aws_s3_bucket.x.id}"` -> "aws_s3_bucket.x" */
function refTarget(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const m = REF.exec(value);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

function asArray<T = Json>(v: unknown): T[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]) as T[];
}

function resources(stack: SynthesizedStack, type: string): [string, Json][] {
  return Object.entries(stack.resource?.[type] ?? {}).map(([name, body]) => [`${type}.${name}`, body]);
}

/** Statements of a policy value: a reference to an aws_iam_policy_document, or literal JSON. */
export function policyStatements(stack: SynthesizedStack, policy: unknown): IamStatement[] | undefined {
  if (typeof policy !== "string") return undefined;
  const dataRef = DATA_REF.exec(policy);
  if (dataRef) {
    const doc = stack.data?.[dataRef[1]!]?.[dataRef[2]!];
    if (!doc) return undefined;
    return asArray(doc["statement"]).map((s) => ({
      effect: String(s["effect"] ?? "Allow"),
      actions: asArray<string>(s["actions"]),
      resources: asArray<string>(s["resources"]),
      conditions: asArray(s["condition"]).map((c) => ({
        test: String(c["test"]),
        variable: String(c["variable"]),
        values: asArray<string>(c["values"]),
      })),
    }));
  }
  try {
    const doc = JSON.parse(policy) as { Statement?: unknown };
    return asArray(doc.Statement).map((s) => ({
      effect: String(s["Effect"] ?? "Allow"),
      actions: asArray<string>(s["Action"]),
      resources: asArray<string>(s["Resource"]),
      conditions: Object.entries((s["Condition"] ?? {}) as Record<string, Record<string, unknown>>).flatMap(
        ([test, vars]) =>
          Object.entries(vars).map(([variable, values]) => ({ test, variable, values: asArray<string>(values) })),
      ),
    }));
  } catch {
    return undefined;
  }
}

const denyInsecureTransport = (s: IamStatement) =>
  s.effect === "Deny" &&
  s.conditions.some((c) => c.test === "Bool" && c.variable === "aws:SecureTransport" && c.values.includes("false"));

export function checkPosture(stack: SynthesizedStack): Violation[] {
  const out: Violation[] = [];

  for (const [id] of resources(stack, "aws_s3_bucket")) {
    const attached = (type: string) => resources(stack, type).filter(([, body]) => refTarget(body["bucket"]) === id);
    const pab = attached("aws_s3_bucket_public_access_block");
    const fullyBlocked = pab.some(([, b]) =>
      ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"].every(
        (k) => b[k] === true,
      ),
    );
    if (!fullyBlocked)
      out.push({
        rule: "bucket-public-access",
        resource: id,
        detail: "no public-access block with all four settings on",
      });

    const sse = attached("aws_s3_bucket_server_side_encryption_configuration");
    const encrypted = sse.some(([, b]) =>
      asArray(b["rule"]).some((r) =>
        asArray(r["apply_server_side_encryption_by_default"]).some((d) => typeof d["sse_algorithm"] === "string"),
      ),
    );
    if (!encrypted) out.push({ rule: "bucket-encryption", resource: id, detail: "no default server-side encryption" });

    const tls = attached("aws_s3_bucket_policy").some(([, b]) =>
      (policyStatements(stack, b["policy"]) ?? []).some(denyInsecureTransport),
    );
    if (!tls)
      out.push({
        rule: "bucket-tls-only",
        resource: id,
        detail: "no bucket policy denying aws:SecureTransport = false",
      });
  }

  // No rule on table encryption: DynamoDB encrypts every table at rest, with its AWS owned key
  // unless a KMS key is chosen (`server_side_encryption.enabled = false` means that owned key).
  for (const [id, body] of resources(stack, "aws_dynamodb_table")) {
    if (!asArray(body["point_in_time_recovery"]).some((p) => p["enabled"] === true)) {
      out.push({ rule: "table-pitr", resource: id, detail: "point-in-time recovery is off" });
    }
  }

  for (const [id, body] of resources(stack, "aws_cloudwatch_log_group")) {
    const days = body["retention_in_days"];
    if (typeof days !== "number" || days <= 0)
      out.push({ rule: "log-retention", resource: id, detail: "logs are kept forever" });
  }

  for (const [id, body] of resources(stack, "aws_sqs_queue")) {
    if (body["sqs_managed_sse_enabled"] !== true && typeof body["kms_master_key_id"] !== "string") {
      out.push({ rule: "queue-encryption", resource: id, detail: "queue is not encrypted" });
    }
  }

  const policyHolders: [string, unknown][] = [
    ...resources(stack, "aws_iam_role_policy").map(([id, b]) => [id, b["policy"]] as [string, unknown]),
    ...resources(stack, "aws_iam_policy").map(([id, b]) => [id, b["policy"]] as [string, unknown]),
    ...resources(stack, "aws_s3_bucket_policy").map(([id, b]) => [id, b["policy"]] as [string, unknown]),
    ...resources(stack, "aws_sqs_queue_policy").map(([id, b]) => [id, b["policy"]] as [string, unknown]),
  ];
  for (const [id, policy] of policyHolders) {
    for (const s of policyStatements(stack, policy) ?? []) {
      // A Deny narrows access, so a wildcard there is the safe direction (e.g. TLS-only).
      if (s.effect !== "Allow") continue;
      for (const action of s.actions) {
        if (action.includes("*")) out.push({ rule: "iam-wildcard-action", resource: id, detail: `allows "${action}"` });
      }
      if (s.resources.includes("*")) {
        const unjustified = s.actions.filter((a) => !ACTIONS_WITHOUT_RESOURCE_SCOPE.has(a));
        if (unjustified.length > 0) {
          out.push({ rule: "iam-wildcard-resource", resource: id, detail: `grants ${unjustified.join(", ")} on "*"` });
        }
      }
    }
  }

  for (const [id, body] of resources(stack, "aws_lambda_permission")) {
    if (typeof body["source_arn"] !== "string" || body["source_arn"] === "") {
      out.push({
        rule: "permission-source-arn",
        resource: id,
        detail: `lets ${String(body["principal"])} invoke without a source_arn`,
      });
    }
  }
  return out;
}
