/**
 * Per-module scores from Stryker's JSON report (mutation-testing-report-schema), with the targets
 * core/ keeps: 85 % of mutants detected per module, 90 % under core/status/; Stryker-disabled
 * (Ignored) mutants at most 5 % of a module's mutants.
 */

export const TARGET_PERCENT = 85;
export const STATUS_TARGET_PERCENT = 90;
export const MAX_DISABLED_PERCENT = 5;

export type MutantStatus =
  | "Killed"
  | "Survived"
  | "NoCoverage"
  | "Timeout"
  | "CompileError"
  | "RuntimeError"
  | "Ignored"
  | "Pending";

export interface ReportMutant {
  status: MutantStatus;
  statusReason?: string;
}

export interface MutationReport {
  files: Record<string, { mutants: ReportMutant[] }>;
}

export interface ModuleScore {
  file: string;
  detected: number;
  survived: number;
  noCoverage: number;
  disabled: number;
  /** Detected over detected + survived + not covered, in percent; null when no mutant counts. */
  score: number | null;
  target: number;
  meetsTarget: boolean;
  disabledPercent: number;
}

export function targetFor(file: string): number {
  return file.startsWith("core/status/") ? STATUS_TARGET_PERCENT : TARGET_PERCENT;
}

export function moduleScore(file: string, mutants: readonly ReportMutant[]): ModuleScore {
  const count = (...statuses: MutantStatus[]) => mutants.filter((m) => statuses.includes(m.status)).length;
  // A timeout counts as detected, as Stryker counts it: the mutant made the tests hang.
  const detected = count("Killed", "Timeout");
  const survived = count("Survived");
  const noCoverage = count("NoCoverage");
  const disabled = count("Ignored");
  const valid = detected + survived + noCoverage;
  const score = valid === 0 ? null : (100 * detected) / valid;
  const target = targetFor(file);
  const disabledPercent = mutants.length === 0 ? 0 : (100 * disabled) / (valid + disabled);
  return {
    file,
    detected,
    survived,
    noCoverage,
    disabled,
    score,
    target,
    meetsTarget: (score === null || score >= target) && disabledPercent <= MAX_DISABLED_PERCENT,
    disabledPercent,
  };
}

export function moduleScores(report: MutationReport): ModuleScore[] {
  return Object.entries(report.files)
    .map(([file, { mutants }]) => moduleScore(file, mutants))
    .sort((a, b) => a.file.localeCompare(b.file));
}

const percent = (n: number | null) => (n === null ? "-" : `${n.toFixed(1)} %`);

/** A fixed-width table, one module a line, below-target modules marked. */
export function scoreTable(scores: readonly ModuleScore[]): string {
  const width = Math.max(6, ...scores.map((s) => s.file.length));
  const head = `${"module".padEnd(width)}  ${"score".padStart(7)}  target  killed  survived  no cov  disabled`;
  const lines = scores.map((s) =>
    [
      s.file.padEnd(width),
      percent(s.score).padStart(7),
      `${s.target} %`.padStart(6),
      String(s.detected).padStart(6),
      String(s.survived).padStart(8),
      String(s.noCoverage).padStart(6),
      String(s.disabled).padStart(8),
      s.meetsTarget ? "" : " BELOW TARGET",
    ].join("  "),
  );
  return [head, ...lines].join("\n");
}
