/** What `npm start` tells the user to expect of each demo input, from the configuration it runs with. */
import { describe, expect, it } from "vitest";
import { applyOverrides } from "../../local/cloud.ts";
import { demoFiles, demoOverrides, expectedOutcome } from "../../local/demo/demo.ts";
import { resolveConfig } from "../../core/config.ts";

describe("the demo's expectations", () => {
  it("name every input's outcome, the slow one ending when the aligner stops MAFFT (timeout minus kill margin)", () => {
    const config = applyOverrides(resolveConfig({ env: {} }), demoOverrides({}));
    expect(demoFiles()).toEqual(expect.arrayContaining(["not-a-fasta.txt", "slow-times-out.fasta"]));
    expect(expectedOutcome(config, "not-a-fasta.txt")).toBe("FAILED (InvalidInput)");
    expect(expectedOutcome(config, "dna small.fasta")).toBe("SUCCEEDED");
    const stopAt = config.aligner.timeoutSeconds - config.mafft.killMarginMs / 1000;
    expect(stopAt).toBeGreaterThan(0);
    expect(expectedOutcome(config, "slow-times-out.fasta")).toBe(`FAILED (MafftTimeout) after about ${stopAt} s`);
    // A user's own timeout moves it.
    const own = resolveConfig({ env: { ALIGNER_TIMEOUT_SECONDS: "60", ALIGNER_MAFFT_KILL_MARGIN_MS: "5000" } });
    expect(applyOverrides(own, demoOverrides({ ALIGNER_TIMEOUT_SECONDS: "60" }))).toEqual(own);
    expect(expectedOutcome(own, "slow-times-out.fasta")).toBe("FAILED (MafftTimeout) after about 55 s");
  });
});
