/**
 * MAFFT's stderr, made fit for CloudWatch. Pure: the aligner feeds chunks in and decides where lines go.
 *
 * Why: MAFFT redraws progress counters with carriage returns (`STEP 1 /35\rSTEP 2 /35\r...`) and
 * writes hundreds of lines for larger inputs. Sent raw, that is one huge unreadable event per
 * flush, and unattributed to the request. So: each `\r` redraw keeps only its last state (what a
 * terminal would show); blank lines go; very long lines are cut; the first `headLines` lines are
 * forwarded as they come (strategy, warnings), the rest are counted, and the last `tailLines`
 * are kept, because that is where MAFFT explains why it failed.
 */

export interface StderrPolicy {
  /** Lines forwarded as they arrive. */
  headLines: number;
  /** Lines kept from the end once the head is spent. */
  tailLines: number;
  /** Longer lines are cut to this many characters. */
  maxLineChars: number;
}

export const DEFAULT_STDERR_POLICY: StderrPolicy = { headLines: 120, tailLines: 30, maxLineChars: 500 };

/** Splits a stream of text into display lines with carriage-return redraws collapsed. */
export class StderrLines {
  private pending = "";
  constructor(private readonly maxLineChars: number) {}

  /** Complete lines in this chunk (a partial last line waits for the next chunk). */
  push(text: string): string[] {
    const all = this.pending + text;
    const parts = all.split("\n");
    this.pending = parts.pop() ?? "";
    // A line that never ends (a runaway progress bar) is cut rather than buffered without bound.
    if (this.pending.length > 64 * 1024) this.pending = lastRedraw(this.pending);
    return parts.map((p) => this.clean(p)).filter((l) => l !== "");
  }

  /** The last partial line, at end of stream. */
  flush(): string[] {
    const rest = this.clean(this.pending);
    this.pending = "";
    return rest === "" ? [] : [rest];
  }

  private clean(line: string): string {
    const shown = lastRedraw(line).trimEnd();
    return shown.length > this.maxLineChars ? `${shown.slice(0, this.maxLineChars)}… (${shown.length} characters)` : shown;
  }
}

/** What a terminal shows of a line redrawn with `\r`: its last non-blank state. */
function lastRedraw(line: string): string {
  if (!line.includes("\r")) return line;
  const states = line.split("\r");
  for (let i = states.length - 1; i >= 0; i--) if (states[i]!.trim() !== "") return states[i]!;
  return "";
}

/** Forwards the head, counts and keeps the tail. `forward` is called once per forwarded line. */
export class StderrForwarder {
  private readonly lines: StderrLines;
  private forwarded = 0;
  private skipped = 0;
  private readonly tail: string[] = [];

  constructor(
    private readonly forward: (line: string) => void,
    private readonly policy: StderrPolicy = DEFAULT_STDERR_POLICY,
  ) {
    this.lines = new StderrLines(policy.maxLineChars);
  }

  write(text: string): void {
    for (const l of this.lines.push(text)) this.take(l);
  }

  /** Ends the stream; returns a summary of what was not forwarded, and the last lines. */
  end(): { skipped: number; tail: string[] } {
    for (const l of this.lines.flush()) this.take(l);
    return { skipped: this.skipped, tail: [...this.tail] };
  }

  private take(line: string): void {
    this.tail.push(line);
    if (this.tail.length > this.policy.tailLines) this.tail.shift();
    if (this.forwarded < this.policy.headLines) {
      this.forwarded++;
      this.forward(line);
    } else {
      this.skipped++;
    }
  }
}

/**
 * MAFFT's own explanation of a rejected input, from its last stderr lines, as a phrase that follows
 * the file name. Undefined when the lines hold none.
 */
export function mafftInputComplaint(lines: readonly string[]): string | undefined {
  const text = lines.join("\n");
  const alphabet = /Alphabet '(.)' is unknown\.[\s\S]*?check site (\d+) in sequence (\d+)/.exec(text);
  if (alphabet) {
    return `has '${alphabet[1]}' at position ${alphabet[2]} of sequence ${alphabet[3]}, which MAFFT cannot align in this kind of sequence; check the residues, or give --anysymbol to keep unusual symbols`;
  }
  const illegal = /Illegal character (\S)/.exec(text);
  if (illegal) return `has the character '${illegal[1]}', which MAFFT cannot align in this kind of sequence; check the residues, or give --anysymbol to keep unusual symbols`;
  if (/UTF-16/i.test(text)) return "is not UTF-8 text (MAFFT says UTF-16); save it as UTF-8 plain text";
  return undefined;
}
