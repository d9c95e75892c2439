import { describe, expect, it } from "vitest";
import { ConfigError, describeConfig, KNOBS, resolveConfig } from "../../core/config.ts";
import { resourceNames } from "../../core/names.ts";
import { alignerEnvironment } from "../../core/function-env.ts";
import { readFileSync } from "node:fs";

describe("configuration", () => {
  it("has sane defaults", () => {
    const c = resolveConfig();
    expect(c.prefix).toBe("lambda-aligner");
    expect(c.aligner).toMatchObject({
      memoryMb: 2048,
      timeoutSeconds: 300,
      logFormat: "Text",
      maxRetries: 2,
      reservedConcurrency: undefined,
    });
    expect(c.processor.logFormat).toBe("JSON");
    expect(c.mafft.defaultArgs).toEqual(["--auto"]);
    expect(c.logRetentionDays).toBe(30);
  });

  it("takes environment over cdktf context over defaults", () => {
    const context = (key: string) =>
      ({ "aligner.memoryMb": 4096, "aligner.timeoutSeconds": 600, prefix: "from-context" })[key];
    const c = resolveConfig({ env: { ALIGNER_MEMORY_MB: "3008" }, context });
    expect(c.aligner.memoryMb).toBe(3008);
    expect(c.aligner.timeoutSeconds).toBe(600);
    expect(c.prefix).toBe("from-context");
  });

  it("falls back to AWS_REGION for the region", () => {
    expect(resolveConfig({ env: { AWS_REGION: "eu-west-1" } }).region).toBe("eu-west-1");
    expect(resolveConfig({ env: { AWS_REGION: "eu-west-1", ALIGNER_REGION: "us-west-2" } }).region).toBe("us-west-2");
  });

  it("parses lists, booleans, formats and optional numbers", () => {
    const c = resolveConfig({
      env: {
        ALIGNER_MAFFT_ARGS: "--localpair  --maxiterate 1000",
        ALIGNER_FORCE_DESTROY: "yes",
        ALIGNER_LOG_FORMAT: "json",
        ALIGNER_RESERVED_CONCURRENCY: "5",
      },
    });
    expect(c.mafft.defaultArgs).toEqual(["--localpair", "--maxiterate", "1000"]);
    expect(c.forceDestroy).toBe(true);
    expect(c.aligner.logFormat).toBe("JSON");
    expect(c.aligner.reservedConcurrency).toBe(5);
  });

  it.each([
    ["ALIGNER_MEMORY_MB", "64", /ALIGNER_MEMORY_MB must be a whole number from 128 to 10240/],
    ["ALIGNER_MEMORY_MB", "1.5e3", /whole number/],
    ["ALIGNER_LOG_FORMAT", "xml", /Text or JSON/],
    ["ALIGNER_LOG_RETENTION_DAYS", "10", /one of 1, 3, 5/],
    ["ALIGNER_PREFIX", "Bad_Prefix", /lowercase/],
    ["ALIGNER_FORCE_DESTROY", "maybe", /true or false/],
    ["ALIGNER_REGION", "mars", /AWS region/],
  ])("rejects %s=%s with a sentence naming the variable", (name, value, message) => {
    expect(() => resolveConfig({ env: { [name]: value } })).toThrow(ConfigError);
    expect(() => resolveConfig({ env: { [name]: value } })).toThrow(message);
  });

  it("describes every knob once, with a unique environment variable", () => {
    const rows = describeConfig(resolveConfig());
    expect(rows).toHaveLength(KNOBS.length);
    expect(new Set(rows.map((r) => r.env)).size).toBe(KNOBS.length);
    expect(rows.find((r) => r.key === "aligner.memoryMb")?.value).toBe(2048);
  });

  it("hands the functions the same variable names the configuration reads", () => {
    const c = resolveConfig({ env: { ALIGNER_MAFFT_ARGS: "--retree 2", ALIGNER_MAX_INPUT_BYTES: "1000" } });
    const env = alignerEnvironment(c, { inputBucket: "in", outputBucket: "out" });
    const roundTrip = resolveConfig({ env });
    expect(roundTrip.mafft.defaultArgs).toEqual(["--retree", "2"]);
    expect(roundTrip.input.maxBytes).toBe(1000);
  });

  it("derives every resource name from the prefix", () => {
    const n = resourceNames({ prefix: "msa" });
    expect(n.jobsTable).toBe("msa-jobs");
    expect(n.logGroups.aligner).toBe("/aws/lambda/msa-aligner");
    expect(n.functions.logProcessor).toBe("msa-log-processor");
  });

  it("is documented in the README, every variable", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const undocumented = describeConfig(resolveConfig()).filter((r) => !readme.includes(`\`${r.env}\``));
    expect(undocumented.map((r) => r.env)).toEqual([]);
  });
});
