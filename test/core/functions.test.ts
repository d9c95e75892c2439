/** One description of each function (core/functions.ts): what the stack and the local cloud read. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { resolveConfig } from "../../core/config.ts";
import { FUNCTION_IDS, FUNCTIONS } from "../../core/functions.ts";
import { FUNCTION_SOURCES } from "../../core/names.ts";

const resources = { inputBucket: "in-bucket", outputBucket: "out-bucket", jobsTable: "jobs-table" };

describe("function descriptions", () => {
  it("describe every function, each with its own source and service name", () => {
    expect(FUNCTION_IDS.sort()).toEqual(Object.keys(FUNCTION_SOURCES).sort());
    for (const id of FUNCTION_IDS) {
      expect(FUNCTIONS[id].id).toBe(id);
      expect(FUNCTIONS[id].source).toBe(FUNCTION_SOURCES[id]);
      expect(FUNCTIONS[id].serviceName).toBe(FUNCTION_SOURCES[id].serviceName);
    }
    expect(new Set(FUNCTION_IDS.map((id) => FUNCTIONS[id].serviceName)).size).toBe(FUNCTION_IDS.length);
  });

  it("hand each function its settings through the variables the settings table reads back", () => {
    const settings = fc.record({
      ALIGNER_MAX_INPUT_BYTES: fc.integer({ min: 1, max: 10 * 1024 ** 3 }),
      ALIGNER_MAFFT_KILL_MARGIN_MS: fc.integer({ min: 100, max: 600_000 }),
      ALIGNER_MAFFT_ARGS: fc.constantFrom("--auto", "--retree 2 --maxiterate 0", "--localpair --maxiterate 1000"),
      ALIGNER_PROCESSOR_WRITE_CONCURRENCY: fc.integer({ min: 1, max: 64 }),
      ALIGNER_RECORD_TTL_DAYS: fc.integer({ min: 1, max: 3650 }),
    });
    fc.assert(
      fc.property(settings, (values) => {
        const env = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)]));
        const config = resolveConfig({ env });
        const seenByAligner = resolveConfig({ env: FUNCTIONS.aligner.environment(config, resources) });
        expect(seenByAligner.input.maxBytes).toBe(config.input.maxBytes);
        expect(seenByAligner.mafft).toMatchObject({
          defaultArgs: config.mafft.defaultArgs,
          killMarginMs: config.mafft.killMarginMs,
        });
        const seenByProcessor = resolveConfig({ env: FUNCTIONS.logProcessor.environment(config, resources) });
        expect(seenByProcessor.processor.writeConcurrency).toBe(config.processor.writeConcurrency);
        expect(seenByProcessor.recordTtlDays).toBe(config.recordTtlDays);
      }),
    );
  });

  it("name the resources each function uses, and its service, in its environment", () => {
    const config = resolveConfig();
    expect(FUNCTIONS.aligner.environment(config, resources)).toMatchObject({
      ALIGNER_INPUT_BUCKET: "in-bucket",
      ALIGNER_OUTPUT_BUCKET: "out-bucket",
      POWERTOOLS_SERVICE_NAME: "aligner",
    });
    expect(FUNCTIONS.aligner.environment(config, resources)).not.toHaveProperty("ALIGNER_JOBS_TABLE");
    expect(FUNCTIONS.logProcessor.environment(config, resources)).toMatchObject({
      ALIGNER_JOBS_TABLE: "jobs-table",
      POWERTOOLS_SERVICE_NAME: "log-processor",
    });
  });

  it("take each function's settings from its own section of the configuration", () => {
    const config = resolveConfig({
      env: {
        ALIGNER_MEMORY_MB: "3008",
        ALIGNER_PROCESSOR_MEMORY_MB: "256",
        ALIGNER_RESERVED_CONCURRENCY: "7",
        ALIGNER_PROCESSOR_MAX_EVENT_AGE_SECONDS: "600",
      },
    });
    expect(FUNCTIONS.aligner.settings(config)).toEqual({
      memoryMb: 3008,
      timeoutSeconds: config.aligner.timeoutSeconds,
      logFormat: "Text",
      maxRetries: 2,
      maxEventAgeSeconds: 3600,
      ephemeralStorageMb: 2048,
      reservedConcurrency: 7,
    });
    expect(FUNCTIONS.logProcessor.settings(config)).toEqual({
      memoryMb: 256,
      timeoutSeconds: config.processor.timeoutSeconds,
      logFormat: "JSON",
      maxRetries: 2,
      maxEventAgeSeconds: 600,
      ephemeralStorageMb: undefined,
      reservedConcurrency: undefined,
    });
  });

  it("list the permissions each needs, and MAFFT only for the aligner", () => {
    expect(FUNCTIONS.aligner.permissions).toEqual([
      { resource: "inputBucket", access: "readObjects" },
      { resource: "outputBucket", access: "writeObjects" },
    ]);
    expect(FUNCTIONS.logProcessor.permissions).toEqual([{ resource: "jobsTable", access: "recordStatus" }]);
    expect([FUNCTIONS.aligner.usesMafftLayer, FUNCTIONS.logProcessor.usesMafftLayer]).toEqual([true, false]);
  });
});
