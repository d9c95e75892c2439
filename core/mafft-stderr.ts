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

/** One state of a line (what was written since the line began or since the last `\r`). */
interface LineState {
  /** Its first characters: enough to show it, cut or not. */
  head: string;
  /** All its characters, counted (the rest is not kept). */
  length: number;
  /** Blanks at its end so far (not shown, not counted in a cut line's length). */
  trailingBlanks: number;
}

const emptyState = (): LineState => ({ head: "", length: 0, trailingBlanks: 0 });
const visibleLength = (s: LineState) => s.length - s.trailingBlanks;

/**
 * Splits a stream of text into display lines with carriage-return redraws collapsed. Holds at
 * most one shown state and the one being written, each cut to what a line can show, so a line
 * that never ends (a runaway progress bar, a helper printing without newlines) costs no memory.
 */
export class StderrLines {
  /** The last non-blank state of the current line: what a terminal shows after a `\r`. */
  private shown: LineState | undefined;
  private current = emptyState();
  private readonly keep: number;

  constructor(private readonly maxLineChars: number) {
    this.keep = maxLineChars + 1;
  }

  /** Complete lines in this chunk (a partial last line waits for the next chunk). */
  push(text: string): string[] {
    const out: string[] = [];
    let from = 0;
    for (const m of text.matchAll(/[\r\n]/g)) {
      this.append(text.slice(from, m.index));
      from = m.index + 1;
      if (m[0] === "\r") this.redraw();
      else this.endLine(out);
    }
    this.append(text.slice(from));
    return out;
  }

  /** The last partial line, at end of stream. */
  flush(): string[] {
    const out: string[] = [];
    this.endLine(out);
    return out;
  }

  private append(text: string): void {
    if (text === "") return;
    const s = this.current;
    if (s.head.length < this.keep) s.head += text.slice(0, this.keep - s.head.length);
    s.length += text.length;
    const blanks = text.length - text.trimEnd().length;
    s.trailingBlanks = blanks === text.length ? s.trailingBlanks + blanks : blanks;
  }

  private redraw(): void {
    if (this.current.head.trim() !== "" || visibleLength(this.current) > this.current.head.length)
      this.shown = this.current;
    this.current = emptyState();
  }

  private endLine(out: string[]): void {
    this.redraw();
    const state = this.shown;
    this.shown = undefined;
    if (state === undefined) return;
    const length = visibleLength(state);
    out.push(
      length > this.maxLineChars
        ? `${state.head.slice(0, this.maxLineChars)}… (${length} characters)`
        : state.head.slice(0, length),
    );
  }
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
  if (illegal)
    return `has the character '${illegal[1]}', which MAFFT cannot align in this kind of sequence; check the residues, or give --anysymbol to keep unusual symbols`;
  if (/UTF-16/i.test(text)) return "is not UTF-8 text (MAFFT says UTF-16); save it as UTF-8 plain text";
  return undefined;
}
