/**
 * The synthesized stack's IAM as AWS would see it once applied: every Terraform reference
 * (`${aws_s3_bucket.x.arn}`, `${data.aws_iam_policy_document.y.json}`, ...) replaced by the value it
 * resolves to for a sample account and region, and every policy document rendered as IAM JSON.
 * A reference to anything this file does not know fails loudly, so a new resource is noticed.
 */
import { SAMPLE_UNIQUE_SUFFIX } from "../../core/bucket-name.ts";
import type { Synthesized } from "./synth.ts";

export const SAMPLE_ACCOUNT = "111122223333";
export const SAMPLE_REGION = "us-east-1";

export interface IamPolicy {
  Version: "2012-10-17";
  Statement: IamStatement[];
}
export interface IamStatement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string[];
  Resource: string[];
  Principal?: "*" | Record<string, string[]>;
  Condition?: Record<string, Record<string, string[]>>;
}

export interface RenderedRole {
  name: string;
  arn: string;
  /** The function that runs with it. */
  functionName: string;
  policies: { name: string; policy: IamPolicy }[];
}

export interface RenderedStack {
  roles: RenderedRole[];
  /** Resource policies by the ARN of the bucket or queue they protect. */
  resourcePolicies: Map<string, IamPolicy>;
  /** Lambda permissions (`aws_lambda_permission`) as the function policy statements Lambda writes for them. */
  invokePermissions: { functionArn: string; principal: string; statement: IamStatement }[];
  /** Name -> ARN of everything named, for building requests: `arn("aws_s3_bucket", "input")`. */
  arn(type: string, nameContains: string): string;
  name(type: string, nameContains: string): string;
}

type Body = Record<string, unknown>;

export function renderStack(stack: Synthesized): RenderedStack {
  const resolve = (value: string): string => value.replace(/\$\{([^}]+)\}/g, (_, expr: string) => lookup(expr));

  const lookup = (expr: string): string => {
    const parts = expr.split(".");
    if (parts[0] === "data") {
      const [, type, name, attr] = parts;
      if (type === "aws_caller_identity" && attr === "account_id") return SAMPLE_ACCOUNT;
      if (type === "aws_iam_policy_document" && attr === "json") return JSON.stringify(renderDocument(name!));
      throw new Error(`renderStack does not know \${${expr}}`);
    }
    const [type, name, attr] = parts;
    const body = stack.resource[type!]?.[name!];
    if (body === undefined) throw new Error(`\${${expr}} names no resource`);
    return attributeOf(type!, body, attr!);
  };

  const attributeOf = (type: string, body: Body, attr: string): string => {
    const named = (key: string) => resolve(String(body[key]));
    const regional = (service: string, rest: string) => `arn:aws:${service}:${SAMPLE_REGION}:${SAMPLE_ACCOUNT}:${rest}`;
    const table: Record<string, Record<string, () => string>> = {
      aws_s3_bucket: {
        bucket: () => `${named("bucket_prefix")}${SAMPLE_UNIQUE_SUFFIX}`,
        id: () => `${named("bucket_prefix")}${SAMPLE_UNIQUE_SUFFIX}`,
        arn: () => `arn:aws:s3:::${named("bucket_prefix")}${SAMPLE_UNIQUE_SUFFIX}`,
      },
      aws_cloudwatch_log_group: {
        name: () => named("name"),
        arn: () => regional("logs", `log-group:${named("name")}`),
      },
      aws_sqs_queue: {
        arn: () => regional("sqs", named("name")),
        url: () => `https://sqs.${SAMPLE_REGION}.amazonaws.com/${SAMPLE_ACCOUNT}/${named("name")}`,
      },
      aws_dynamodb_table: {
        name: () => named("name"),
        arn: () => regional("dynamodb", `table/${named("name")}`),
      },
      aws_lambda_function: {
        function_name: () => named("function_name"),
        arn: () => regional("lambda", `function:${named("function_name")}`),
      },
      aws_lambda_layer_version: { arn: () => regional("lambda", `layer:${named("layer_name")}:1`) },
      aws_iam_role: {
        id: () => named("name"),
        name: () => named("name"),
        arn: () => `arn:aws:iam::${SAMPLE_ACCOUNT}:role/${named("name")}`,
      },
    };
    const get = table[type]?.[attr];
    if (get === undefined) throw new Error(`renderStack does not know ${type}.${attr}`);
    return get();
  };

  const renderDocument = (name: string): IamPolicy => {
    const doc = stack.data["aws_iam_policy_document"]?.[name];
    if (doc === undefined) throw new Error(`no policy document ${name}`);
    return {
      Version: "2012-10-17",
      Statement: (doc["statement"] as Body[]).map((s) => renderStatement(s)),
    };
  };

  const renderStatement = (s: Body): IamStatement => {
    const strings = (v: unknown) => ((v as string[] | undefined) ?? []).map(resolve);
    const out: IamStatement = {
      Effect: (s["effect"] as "Allow" | "Deny" | undefined) ?? "Allow",
      Action: strings(s["actions"]),
      Resource: strings(s["resources"]),
    };
    if (typeof s["sid"] === "string") out.Sid = s["sid"];
    const principals = s["principals"] as { type: string; identifiers: string[] }[] | undefined;
    if (principals !== undefined) {
      out.Principal = principals.some((p) => p.type === "*")
        ? "*"
        : Object.fromEntries(principals.map((p) => [p.type, p.identifiers.map(resolve)]));
    }
    const conditions = s["condition"] as { test: string; variable: string; values: string[] }[] | undefined;
    if (conditions !== undefined) {
      out.Condition = {};
      for (const c of conditions) (out.Condition[c.test] ??= {})[c.variable] = c.values.map(resolve);
    }
    return out;
  };

  const entries = (type: string) => Object.entries(stack.resource[type] ?? {});
  const policy = (value: unknown) => JSON.parse(resolve(String(value))) as IamPolicy;

  const roles: RenderedRole[] = entries("aws_iam_role").map(([id, role]) => {
    const fn = entries("aws_lambda_function").find(([, f]) => f["role"] === `\${aws_iam_role.${id}.arn}`);
    if (fn === undefined) throw new Error(`role ${id} runs no function`);
    return {
      name: resolve(String(role["name"])),
      arn: attributeOf("aws_iam_role", role, "arn"),
      functionName: resolve(String(fn[1]["function_name"])),
      policies: entries("aws_iam_role_policy")
        .filter(([, p]) => p["role"] === `\${aws_iam_role.${id}.id}`)
        .map(([, p]) => ({ name: resolve(String(p["name"])), policy: policy(p["policy"]) })),
    };
  });

  const resourcePolicies = new Map<string, IamPolicy>();
  for (const [, p] of entries("aws_s3_bucket_policy")) {
    resourcePolicies.set(`arn:aws:s3:::${resolve(String(p["bucket"]))}`, policy(p["policy"]));
  }
  for (const [, p] of entries("aws_sqs_queue_policy")) {
    const name = resolve(String(p["queue_url"])).split("/").at(-1)!;
    resourcePolicies.set(`arn:aws:sqs:${SAMPLE_REGION}:${SAMPLE_ACCOUNT}:${name}`, policy(p["policy"]));
  }

  // As Lambda's AddPermission writes them: SourceArn by ArnLike, SourceAccount by StringEquals.
  const invokePermissions = entries("aws_lambda_permission").map(([, p]) => {
    const functionArn = `arn:aws:lambda:${SAMPLE_REGION}:${SAMPLE_ACCOUNT}:function:${resolve(String(p["function_name"]))}`;
    const principal = String(p["principal"]);
    const condition: Record<string, Record<string, string[]>> = {};
    if (typeof p["source_arn"] === "string") condition["ArnLike"] = { "aws:SourceArn": [resolve(p["source_arn"])] };
    if (typeof p["source_account"] === "string")
      condition["StringEquals"] = { "aws:SourceAccount": [resolve(p["source_account"])] };
    const statement: IamStatement = {
      Sid: String(p["statement_id"]),
      Effect: "Allow",
      Principal: { Service: [principal] },
      Action: [String(p["action"])],
      Resource: [functionArn],
      Condition: condition,
    };
    return { functionArn, principal, statement };
  });

  const find = (type: string, nameContains: string): [string, Body] => {
    const found = entries(type).filter(([n]) => n.includes(nameContains));
    if (found.length !== 1) throw new Error(`expected one ${type} matching ${nameContains}, found ${found.length}`);
    return found[0]!;
  };
  return {
    roles,
    resourcePolicies,
    invokePermissions,
    arn: (type, nameContains) => attributeOf(type, find(type, nameContains)[1], "arn"),
    name: (type, nameContains) => {
      const attr = type === "aws_s3_bucket" ? "bucket" : type === "aws_lambda_function" ? "function_name" : "name";
      return attributeOf(type, find(type, nameContains)[1], attr);
    },
  };
}
