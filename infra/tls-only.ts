/**
 * The one statement that makes a resource TLS-only: deny every action of its service to anyone
 * whose request did not come over TLS. A deny must cover every action, hence `<service>:*` (the
 * only wildcard action in the stack, and in a Deny only; grants list their actions one by one).
 */
import type { PolicyStatement } from "./function-role.ts";

/** Services whose resource policies the stack writes. */
export type PolicyService = "s3" | "sqs";

export function denyInsecureTransport(service: PolicyService, resources: string[]): PolicyStatement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    actions: [`${service}:*`],
    principals: [{ type: "*", identifiers: ["*"] }],
    resources,
    condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}
