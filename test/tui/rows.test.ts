/** The pure transformers from records to screen rows: total on any item, always within the width. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readJobItem } from "../../core/job-item.ts";
import { JOB_RECORD_FIELDS } from "../../core/jobs-table.ts";
import { cellsOf, fit, headerText, layoutColumns, rowText } from "../../tui/rows.ts";
import { generateJobs, jobItem } from "../helpers/job-records.ts";

const NOW = Date.parse("2026-11-24T12:00:00Z");
const visibleLength = (s: string) => [...s].length;

describe("rows", () => {
  const jobs = generateJobs(200, { newestMs: NOW, spacingMs: 30_000, seed: 7 });

  it("fit cuts with an ellipsis or pads to exactly the width", () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 60 }),
        fc.integer({ min: 1, max: 50 }),
        fc.constantFrom("left" as const, "right" as const),
        (text, width, align) => {
          const out = fit(text, width, align);
          expect(visibleLength(out)).toBe(width);
          if (visibleLength(text) > width) expect(out.endsWith("…")).toBe(width > 1);
          else expect(out.trim()).toBe(text.trim());
        },
      ),
    );
  });

  it("every row of every job fits any terminal width, with the status cell whole", () => {
    fc.assert(
      fc.property(fc.integer({ min: 30, max: 300 }), fc.integer({ min: 0, max: jobs.length - 1 }), (width, i) => {
        const layout = layoutColumns(width);
        const t = rowText(cellsOf(jobs[i]!.record, NOW), layout);
        const line = `  ${t.before}${t.status}${t.after}`;
        expect(visibleLength(line)).toBeLessThanOrEqual(width);
        expect(t.status.trim()).toBe(jobs[i]!.record.status);
        expect(visibleLength(`  ${headerText(layout)}`)).toBeLessThanOrEqual(width);
      }),
    );
  });

  it("shows the full request id on wide terminals and its 8-character prefix on narrow ones", () => {
    const r = jobs[0]!.record;
    expect(rowText(cellsOf(r, NOW), layoutColumns(200)).before).toContain(r.requestId);
    const narrow = rowText(cellsOf(r, NOW), layoutColumns(100)).before;
    expect(narrow.startsWith(r.requestId.slice(0, 8))).toBe(true);
    expect(narrow).not.toContain(r.requestId);
    expect(headerText(layoutColumns(100)).startsWith("ID ")).toBe(true);
  });

  it("drops the least useful columns first on narrow terminals", () => {
    const ids = (w: number) => layoutColumns(w).columns.map((c) => c.column.id);
    expect(ids(200)).toEqual(["id", "input", "status", "start", "started", "duration", "billed", "memory", "error"]);
    expect(ids(100)).not.toContain("billed");
    expect(ids(100)).toContain("status");
    expect(ids(60)).toEqual(expect.arrayContaining(["id", "input", "status", "duration"]));
  });

  it("formats the cells a user reads", () => {
    const failed = jobs.find((j) => j.record.status === "FAILED")!.record;
    const c = cellsOf(
      {
        ...failed,
        durationMs: 1234.5,
        billedDurationMs: 1235,
        maxMemoryUsedMb: 300,
        memorySizeMb: 2048,
        coldStart: true,
      },
      NOW,
    );
    expect(c).toMatchObject({
      status: "FAILED",
      start: "cold",
      duration: "1.23 s",
      billed: "1.24 s",
      memory: "300/2048 MB",
    });
    expect(c.error).toBe(`${failed.errorType}: ${failed.errorMessage}`);
    expect(cellsOf({ requestId: "x", status: "RUNNING", attempts: 1, errorMessage: "a\nb\tc" }, NOW)).toMatchObject({
      duration: "-",
      memory: "-",
      start: "-",
      started: "-",
      error: "a b c",
    });
  });

  it("never throws on an item of any shape, and keeps only well-typed fields", () => {
    const junk = fc.dictionary(
      fc.constantFrom(
        "pk",
        "requestId",
        "status",
        "durationMs",
        "coldStart",
        "startedAt",
        "inputKey",
        "errorMessage",
        "attempts",
        "memorySizeMb",
        "startedKey",
        "updatedKey",
      ),
      fc.oneof(
        fc.string(),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 2 }),
        fc.object({ maxDepth: 1 }),
      ),
    );
    // Most junk items name no job at all (no id): half carry an id, so the row checks run too.
    const item = fc.oneof(
      junk,
      fc.tuple(junk, fc.string({ minLength: 1, maxLength: 40 })).map(([j, requestId]) => ({ ...j, requestId })),
    );
    let rows = 0;
    fc.assert(
      fc.property(item, fc.integer({ min: 20, max: 250 }), (item, width) => {
        const row = readJobItem(item);
        if (!row) return;
        rows++;
        expect(typeof row.record.requestId).toBe("string");
        expect(typeof row.record.status).toBe("string");
        for (const f of ["durationMs", "memorySizeMb", "attempts"] as const)
          if (row.record[f] !== undefined) expect(Number.isFinite(row.record[f])).toBe(true);
        for (const f of ["startedAt", "inputKey", "errorMessage"] as const)
          if (row.record[f] !== undefined) expect(typeof row.record[f]).toBe("string");
        if (row.record.coldStart !== undefined) expect(typeof row.record.coldStart).toBe("boolean");
        const t = rowText(cellsOf(row.record, NOW), layoutColumns(width));
        // Below about 30 columns not even id and status fit (rows.ts); Ink cuts the line there.
        if (width >= 30) expect(visibleLength(`  ${t.before}${t.status}${t.after}`)).toBeLessThanOrEqual(width);
      }),
    );
    expect(rows, "items that read as a job").toBeGreaterThan(30);
  });

  it("reads back what the log processor stores", () => {
    const job = jobs[3]!;
    const row = readJobItem(jobItem(job))!;
    expect(row.record).toEqual(job.record);
    expect(row.sortKey).toBe(`${job.sortTime}#${job.record.requestId}`);
    expect(readJobItem({ pk: "STREAM#g|s", sk: "A#1" })).toBeUndefined();
    // Every field of the record survives, the ones the generator leaves out included.
    const full = {
      ...job,
      record: {
        ...job.record,
        initDurationMs: 412,
        durationMs: 900,
        billedDurationMs: 900,
        maxMemoryUsedMb: 300,
        endedAt: job.updatedAt,
        errorType: "MafftFailed",
        errorMessage: "mafft exited 1",
        outputBucket: "out",
        outputKey: "x.aligned.fasta",
        mafftDurationMs: 850,
        mafftArgs: "--auto",
      },
    };
    expect(JOB_RECORD_FIELDS.filter((f) => full.record[f] === undefined)).toEqual([]);
    expect(readJobItem(jobItem(full))!.record).toEqual(full.record);
  });
});
