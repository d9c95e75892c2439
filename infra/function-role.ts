/**
 * An execution role for one Lambda function. Resources grant access to it (`bucket.grantRead(role)`),
 * so each IAM statement is written next to the resource it opens, and each grant becomes its own
 * small inline policy named after what it allows.
 */
import { Construct } from "constructs";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";

export type PolicyStatement = DataAwsIamPolicyDocumentStatement;

export interface FunctionRoleProps {
  roleName: string;
  /** The account allowed to use the role, for the confused-deputy condition. */
  accountId: string;
}

export class FunctionRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: FunctionRoleProps) {
    super(scope, id);
    const assume = new DataAwsIamPolicyDocument(this, "assume", {
      statement: [
        {
          effect: "Allow",
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }],
        },
      ],
    });
    this.role = new IamRole(this, "role", { name: props.roleName, assumeRolePolicy: assume.json });
  }

  get arn(): string {
    return this.role.arn;
  }

  /** Adds an inline policy `<grantId>` holding these statements. */
  allow(grantId: string, statements: PolicyStatement[]): IamRolePolicy {
    const doc = new DataAwsIamPolicyDocument(this, `${grantId}-doc`, { statement: statements });
    return new IamRolePolicy(this, grantId, { name: grantId, role: this.role.id, policy: doc.json });
  }
}
