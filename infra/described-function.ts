/**
 * A function as core/functions.ts describes it: its NodeFunction with the settings and environment
 * of its description, and one grant per permission it lists, from the construct of that resource.
 */
import type { Construct } from "constructs";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { AlignerConfig } from "../core/config.ts";
import type { FunctionDescription, Permission } from "../core/functions.ts";
import type { ResourceNames } from "../core/names.ts";
import type { FunctionRole } from "./function-role.ts";
import type { JobsTable } from "./jobs-table.ts";
import { NodeFunction } from "./node-function.ts";
import type { SecureBucket } from "./secure-bucket.ts";

/** The resources functions may be granted access to. */
export interface FunctionTargets {
  input: SecureBucket;
  output: SecureBucket;
  table: JobsTable;
}

export interface DescribedFunctionProps {
  description: FunctionDescription;
  config: AlignerConfig;
  names: ResourceNames;
  accountId: string;
  targets: FunctionTargets;
  /**
   * Layer version ARNs.
   * @default [] (no layers)
   */
  layers?: string[];
}

export function describedFunction(scope: Construct, id: string, props: DescribedFunctionProps): NodeFunction {
  const { description, config, names, targets } = props;
  const settings = description.settings(config);
  const fn = new NodeFunction(scope, id, {
    functionId: description.id,
    functionName: names.functions[description.id],
    logGroupName: names.logGroups[description.id],
    failureQueueName: names.failureQueues[description.id],
    settings,
    logRetentionDays: config.logRetentionDays,
    accountId: props.accountId,
    layers: props.layers,
    ephemeralStorageMb: settings.ephemeralStorageMb,
    reservedConcurrency: settings.reservedConcurrency,
    environment: description.environment(config, {
      inputBucket: targets.input.name,
      outputBucket: targets.output.name,
      jobsTable: targets.table.name,
    }),
  });
  for (const permission of description.permissions) grant(fn.role, permission, targets, config);
  return fn;
}

function grant(
  role: FunctionRole,
  permission: Permission,
  targets: FunctionTargets,
  config: AlignerConfig,
): IamRolePolicy {
  switch (permission.resource) {
    case "inputBucket":
      return targets.input.grantReadObjects(role, "read-input", config.input.prefix);
    case "outputBucket":
      return targets.output.grantWriteObjects(role, "write-output");
    case "jobsTable":
      return targets.table.grantStatusWrites(role, "record-status");
  }
}
