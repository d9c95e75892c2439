/** Rules of MAFFT's allow-list (core/mafft-args.ts) that the aligner's tests did not hold: each option's value range, ends included. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAFFT_OPTIONS, MAX_VALUE_CHARS, parseMafftArgs, validateMafftArgs } from "../../core/mafft-args.ts";

type Ranged = { option: string; kind: "int" | "number"; min: number; max: number };
const RANGED: Ranged[] = Object.entries(MAFFT_OPTIONS).flatMap(([option, o]) =>
  o.value && o.value.kind !== "choice" ? [{ option, kind: o.value.kind, min: o.value.min, max: o.value.max }] : [],
);
const rangeWords = (r: Ranged) => `${r.kind === "int" ? "a whole number" : "a number"} from ${r.min} to ${r.max}`;
const fits = (v: number) => String(v).length <= MAX_VALUE_CHARS;

describe("numeric option values", () => {
  it("every numeric option has a range that is not empty", () => {
    expect(RANGED.length).toBeGreaterThan(10);
    for (const r of RANGED) expect(r.min, r.option).toBeLessThan(r.max);
  });

  it("a value inside the range is accepted, both ends included, alone or as --option=value", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RANGED), fc.double({ min: 0, max: 1, noNaN: true }), (r, f) => {
        const inside =
          r.kind === "int" ? Math.round(r.min + f * (r.max - r.min)) : Number((r.min + f * (r.max - r.min)).toFixed(3));
        for (const v of [r.min, r.max, inside].filter(fits)) {
          expect(validateMafftArgs([r.option, String(v)]), `${r.option} ${v}`).toEqual({
            ok: true,
            args: [r.option, String(v)],
          });
          expect(parseMafftArgs(`${r.option}=${v}`)).toEqual({ ok: true, args: [r.option, String(v)] });
        }
      }),
    );
  });

  it("a value outside the range is refused, naming the option, the value and the range", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RANGED), fc.integer({ min: 1, max: 1000 }), fc.boolean(), (r, by, below) => {
        const v = below ? r.min - by : r.max + by;
        fc.pre(fits(v));
        expect(validateMafftArgs([r.option, String(v)])).toEqual({
          ok: false,
          reason: `${r.option} '${v}' is not allowed: the value must be ${rangeWords(r)}`,
        });
      }),
    );
    // Just outside the ends of a number range.
    const op = RANGED.find((r) => r.option === "--op")!;
    expect(validateMafftArgs(["--op", String(op.min - 0.001)]).ok).toBe(false);
    expect(validateMafftArgs(["--op", String(op.max + 0.001)]).ok).toBe(false);
  });

  it("a whole-number option refuses a fraction; a number option takes one", () => {
    for (const r of RANGED) {
      const mid = (r.min + r.max) / 2;
      const fraction = `${Math.floor(mid)}.5`;
      if (!fits(Number(fraction))) continue;
      expect(validateMafftArgs([r.option, fraction]).ok, `${r.option} ${fraction}`).toBe(r.kind === "number");
    }
  });

  it("a value missing at the end says what value the option needs", () => {
    for (const r of RANGED)
      expect(validateMafftArgs(["--auto", r.option])).toEqual({
        ok: false,
        reason: `${r.option} needs a value (${rangeWords(r)})`,
      });
  });

  it("a value longer than the metadata allows is refused, even inside the range", () => {
    expect(validateMafftArgs(["--op", "1.00000000000"])).toEqual({
      ok: false,
      reason: `--op '1.00000000000' is not allowed: the value must be a number from 0 to 100, written in at most ${MAX_VALUE_CHARS} characters`,
    });
    expect(validateMafftArgs(["--op", "1.0000000000"]).ok).toBe(true);
  });
});
