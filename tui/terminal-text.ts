/** Terminal text shared by the commands and the live view: colour only when allowed, tables, CSV lines. */
import { styleText } from "node:util";

/** NO_COLOR (https://no-color.org), FORCE_COLOR and whether stdout is a terminal decide. */
export function colorEnabled(
  stream: NodeJS.WriteStream = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["FORCE_COLOR"] !== undefined && env["FORCE_COLOR"] !== "0") return true;
  return stream.isTTY === true;
}

type Style = Parameters<typeof styleText>[0];

export function paint(style: Style, text: string, enabled = colorEnabled()): string {
  return enabled ? styleText(style, text, { validateStream: false }) : text;
}

/** Left-aligned columns separated by two spaces; cells already painted are measured without escapes. */
export function formatTable(header: string[], rows: string[][]): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour escapes start with ESC.
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, "").length;
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(widths[i]! - visible(c))))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** One RFC 4180 line: fields with commas, quotes or line breaks are quoted, quotes doubled. */
export function csvLine(values: readonly unknown[]): string {
  return values
    .map((v) => {
      const s = v === undefined || v === null ? "" : String(v);
      return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    })
    .join(",");
}
