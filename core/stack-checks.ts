/**
 * What synth checks before it builds a stack from a configuration: settings each valid on its own
 * (core/config.ts checks those) that AWS would still refuse at apply time, or that would deploy
 * a system that cannot work. Pure; the stack throws on a problem and warns on a warning.
 */
import { knobEnv, type AlignerConfig } from "./config.ts";
import { bucketNameProblem, bucketPrefixProblem, SAMPLE_UNIQUE_SUFFIX } from "./bucket-name.ts";
import { resourceNames } from "./names.ts";

export interface StackCheck {
  /** Each one sentence naming the setting and what to do; any of them stops synth. */
  problems: string[];
  /** Each one line; synth goes on. */
  warnings: string[];
}

export function checkStackConfig(config: AlignerConfig): StackCheck {
  return {
    problems: [...bucketNameProblems(config), ...timeoutProblems(config), ...kmsKeyProblems(config)],
    warnings: concurrencyWarnings(config),
  };
}

/**
 * Every bucket name the prefix makes, in AWS (prefix + Terraform's unique id) and in the local
 * cloud; the first one S3 would refuse is enough to say what to change.
 */
function bucketNameProblems(config: AlignerConfig): string[] {
  const names = resourceNames(config);
  const candidates = [
    {
      which: "input",
      name: `${names.inputBucketPrefix}${SAMPLE_UNIQUE_SUFFIX}`,
      problem: bucketPrefixProblem(names.inputBucketPrefix),
    },
    {
      which: "output",
      name: `${names.outputBucketPrefix}${SAMPLE_UNIQUE_SUFFIX}`,
      problem: bucketPrefixProblem(names.outputBucketPrefix),
    },
    { which: "local input", name: names.inputBucket, problem: bucketNameProblem(names.inputBucket) },
    { which: "local output", name: names.outputBucket, problem: bucketNameProblem(names.outputBucket) },
  ];
  const out: string[] = [];
  const bad = candidates.find((c) => c.problem !== undefined);
  if (bad !== undefined)
    out.push(
      `${knobEnv("prefix")}='${config.prefix}' would name the ${bad.which} bucket '${bad.name}', but an S3 bucket name ${bad.problem}; choose another prefix.`,
    );
  const state = config.state.bucket;
  const stateProblem = state === "" ? undefined : bucketNameProblem(state);
  if (stateProblem !== undefined)
    out.push(`${knobEnv("state.bucket")}='${state}' cannot be an S3 bucket: a bucket name ${stateProblem}.`);
  return out;
}

/** MAFFT is stopped `killMarginMs` before the timeout: a margin as long as the timeout leaves it no time at all. */
function timeoutProblems(config: AlignerConfig): string[] {
  const timeoutMs = config.aligner.timeoutSeconds * 1000;
  if (config.mafft.killMarginMs < timeoutMs) return [];
  return [
    `${knobEnv("mafft.killMarginMs")}=${config.mafft.killMarginMs} is not less than ${knobEnv("aligner.timeoutSeconds")}=${config.aligner.timeoutSeconds} (${timeoutMs} ms), so MAFFT would never get time to run; lower the margin or raise the timeout.`,
  ];
}

/** DynamoDB needs the key in the table's own region. */
function kmsKeyProblems(config: AlignerConfig): string[] {
  const arn = config.tableKmsKeyArn;
  if (arn === "") return [];
  const keyRegion = arn.split(":")[3];
  if (keyRegion === config.region) return [];
  return [
    `${knobEnv("tableKmsKeyArn")} names a key in ${keyRegion}, but the jobs table is in ${config.region} (${knobEnv("region")}); DynamoDB needs a key in the table's region.`,
  ];
}

/** Reserved concurrency 0 is Lambda's documented off switch: legal, but say what it does. */
function concurrencyWarnings(config: AlignerConfig): string[] {
  if (config.aligner.reservedConcurrency !== 0) return [];
  return [
    `${knobEnv("aligner.reservedConcurrency")}=0: the aligner will not run; Lambda throttles every upload's invocation and, after ${config.aligner.maxEventAgeSeconds} s of retries, sends it to the failure queue.`,
  ];
}
