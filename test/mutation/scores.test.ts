/** Rules of the mutation summary (test/mutation/scores.ts): scores as Stryker counts them, targets per folder, the disabled cap. */
import { describe, expect, it } from "vitest";
import { moduleScore, moduleScores, scoreTable, type MutantStatus } from "./scores.ts";

const mutants = (counts: Partial<Record<MutantStatus, number>>) =>
  Object.entries(counts).flatMap(([status, n]) =>
    Array.from({ length: n }, () => ({ status: status as MutantStatus })),
  );

describe("mutation scores", () => {
  it("a timeout counts as noticed; compile and runtime errors and disabled mutants count neither way", () => {
    const s = moduleScore(
      "core/a.ts",
      mutants({ Killed: 6, Timeout: 2, Survived: 1, NoCoverage: 1, CompileError: 5, RuntimeError: 3, Ignored: 0 }),
    );
    expect(s).toMatchObject({ detected: 8, survived: 1, noCoverage: 1, score: 80 });
  });

  it("core/status/ is held to 90 %, every other module of core/ to 85 %", () => {
    const at = (file: string, killed: number) => moduleScore(file, mutants({ Killed: killed, Survived: 100 - killed }));
    expect(at("core/status/apply.ts", 89)).toMatchObject({ target: 90, meetsTarget: false });
    expect(at("core/status/apply.ts", 90)).toMatchObject({ target: 90, meetsTarget: true });
    expect(at("core/logs/parse.ts", 84)).toMatchObject({ target: 85, meetsTarget: false });
    expect(at("core/logs/parse.ts", 85)).toMatchObject({ target: 85, meetsTarget: true });
  });

  it("more than 5 % of a module's mutants disabled misses the target, whatever the score", () => {
    expect(moduleScore("core/a.ts", mutants({ Killed: 95, Ignored: 5 }))).toMatchObject({
      disabledPercent: 5,
      meetsTarget: true,
    });
    expect(moduleScore("core/a.ts", mutants({ Killed: 94, Ignored: 6 }))).toMatchObject({ meetsTarget: false });
  });

  it("a module with no mutant to count has no score and misses nothing", () => {
    expect(moduleScore("core/types.ts", [])).toMatchObject({ score: null, meetsTarget: true });
  });

  it("the table has one line per module, in path order, marking those below target", () => {
    const table = scoreTable(
      moduleScores({
        files: {
          "core/z.ts": { mutants: mutants({ Killed: 1 }) },
          "core/a.ts": { mutants: mutants({ Survived: 1 }) },
        },
      }),
    ).split("\n");
    expect(table).toHaveLength(3);
    expect(table[1]).toMatch(/^core\/a\.ts\s+0\.0 %.*BELOW TARGET$/);
    expect(table[2]).toMatch(/^core\/z\.ts\s+100\.0 %/);
    expect(table[2]).not.toMatch(/BELOW/);
  });
});
