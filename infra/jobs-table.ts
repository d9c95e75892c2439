/** The DynamoDB jobs table, built from the schema in core/jobs-table.ts. */
import { Construct } from "constructs";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table/index.js";
import { indexProjection, JOBS_TABLE, keyAttributes } from "../core/jobs-table.ts";
import type { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { FunctionRole, PolicyStatement } from "./function-role.ts";

export interface JobsTableProps {
  tableName: string;
  /**
   * Refuse to delete the table (Terraform and the console alike) until this is turned off.
   * @default true
   */
  deletionProtection?: boolean;
  /**
   * A customer managed KMS key (its ARN) to encrypt the table with. DynamoDB encrypts every table
   * at rest; without a key it uses its AWS owned key, at no cost and with nothing to manage.
   * @default undefined (the AWS owned key)
   */
  kmsKeyArn?: string;
}

export class JobsTable extends Construct {
  readonly table: DynamodbTable;

  private readonly kmsKeyArn: string | undefined;

  constructor(scope: Construct, id: string, props: JobsTableProps) {
    super(scope, id);
    this.kmsKeyArn = props.kmsKeyArn;
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
      // enabled=false is not "unencrypted": it selects the AWS owned key (the API's "DEFAULT" type).
      serverSideEncryption:
        props.kmsKeyArn === undefined ? { enabled: false } : { enabled: true, kmsKeyArn: props.kmsKeyArn },
      deletionProtectionEnabled: props.deletionProtection ?? true,
    });
  }

  get name(): string {
    return this.table.name;
  }
  get arn(): string {
    return this.table.arn;
  }

  /**
   * What the log processor needs: read records (single and batched), query its per-stream index
   * on the base table, and apply conditional updates. No Scan, no Put, no Delete, no index access.
   * Returns the inline policy that grants it.
   */
  grantStatusWrites(role: FunctionRole, grantId: string): IamRolePolicy {
    return role.allow(grantId, [
      {
        sid: "RecordStatus",
        effect: "Allow",
        actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:UpdateItem"],
        resources: [this.table.arn],
      },
      ...this.keyUseThroughDynamoDb(),
    ]);
  }

  /**
   * With a customer managed key, whoever reads or writes items must also be allowed to use the key,
   * and only through DynamoDB (the actions of the key policy DynamoDB documents, spelled out).
   */
  private keyUseThroughDynamoDb(): PolicyStatement[] {
    if (this.kmsKeyArn === undefined) return [];
    // A key ARN names its region, which must be the table's (core/stack-checks.ts).
    const region = this.kmsKeyArn.split(":")[3];
    return [
      {
        sid: "UseTableKeyThroughDynamoDB",
        effect: "Allow",
        actions: [
          "kms:Decrypt",
          "kms:DescribeKey",
          "kms:Encrypt",
          "kms:GenerateDataKey",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:CreateGrant",
        ],
        resources: [this.kmsKeyArn],
        condition: [{ test: "StringEquals", variable: "kms:ViaService", values: [`dynamodb.${region}.amazonaws.com`] }],
      },
    ];
  }
}
