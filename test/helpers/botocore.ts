/**
 * AWS's own service models, as the AWS CLI ships them (Debian's `awscli`, which .ci/run installs):
 * read at test time, never copied into the repository.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const BOTOCORE_DATA = "/usr/lib/python3/dist-packages/awscli/botocore/data";

export interface Shape {
  type: string;
  min?: number;
  max?: number;
  pattern?: string;
  documentation?: string;
  members?: Record<string, { shape: string; documentation?: string }>;
}

export interface ServiceModel {
  shapes: Record<string, Shape>;
}

const cache = new Map<string, ServiceModel>();

/** The newest API version's model of a service (`lambda`, `iam`, `dynamodb`, `logs`, `sqs`, ...). */
export function serviceModel(service: string): ServiceModel {
  let model = cache.get(service);
  if (model === undefined) {
    const dir = path.join(BOTOCORE_DATA, service);
    const version = readdirSync(dir).sort().at(-1)!;
    model = JSON.parse(readFileSync(path.join(dir, version, "service-2.json"), "utf8")) as ServiceModel;
    cache.set(service, model);
  }
  return model;
}

export function shapeOf(service: string, name: string): Shape {
  const shape = serviceModel(service).shapes[name];
  if (shape === undefined) throw new Error(`the ${service} model has no shape ${name}`);
  return shape;
}

/** Why a string breaks a string shape's length or (whole-string) pattern, or undefined. */
export function stringShapeProblem(shape: Shape, value: string, maxOverride?: number): string | undefined {
  const max = maxOverride ?? shape.max;
  if (shape.min !== undefined && value.length < shape.min) return `shorter than ${shape.min}`;
  if (max !== undefined && value.length > max) return `longer than ${max}`;
  if (shape.pattern !== undefined && !new RegExp(`^(?:${shape.pattern})$`).test(value))
    return `does not match ${shape.pattern}`;
  return undefined;
}
