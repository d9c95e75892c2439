/** The DynamoDB jobs table, built from the schema in core/jobs-table.ts. */
import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { indexProjection, JOBS_TABLE, keyAttributes } from "../core/jobs-table.ts";
import type { FunctionRole } from "./function-role.ts";

export interface JobsTableProps {
  tableName: string;
  deletionProtection: boolean;
}

export class JobsTable extends Construct {
  readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: JobsTableProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, "table", {
      name: props.tableName,
      billingMode: "PAY_PER_REQUEST",
      hashKey: JOBS_TABLE.partitionKey,
      rangeKey: JOBS_TABLE.sortKey,
      // Only key attributes are declared; everything else is schemaless.
      attribute: keyAttributes().map((name) => ({ name, type: "S" })),
      globalSecondaryIndex: Object.values(JOBS_TABLE.indexes).map((ix) => ({
        name: ix.name,
        hashKey: ix.partitionKey,
        rangeKey: ix.sortKey,
        projectionType: indexProjection().type,
        nonKeyAttributes: indexProjection().nonKeyAttributes,
      })),
      ttl: { attributeName: JOBS_TABLE.ttlAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: props.deletionProtection,
    });
  }

  /**
   * What the log processor needs: read records (single and batched), query its per-stream index
   * on the base table, and apply conditional updates. No Scan, no Put, no Delete, no index access.
   */
  grantStatusWrites(role: FunctionRole, grantId: string): void {
    role.allow(grantId, [
      {
        sid: "RecordStatus",
        effect: "Allow",
        actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
        resources: [this.table.arn],
      },
    ]);
  }
}
