/**
 * MAFFT arguments a job may ask for, checked against an allow-list. Pure.
 *
 * Used by: the aligner (the input object's `x-amz-meta-mafft-args` metadata) and the CLI
 * (`aligner submit --mafft-args "..."` checks before uploading, and stores the canonical form
 * under the same metadata key).
 *
 * Why an allow-list: the `mafft` script interpolates some values into awk programs and shell
 * commands, and options that name files (--add, --seed, --treein, ...) or change the output format
 * would read or write outside the job's input and FASTA output. So only options known to be safe are
 * accepted, each value must be a plain number in a sane range, and anything else fails the job
 * with a sentence saying why.
 */

/** The S3 user-metadata key (sent as the `x-amz-meta-mafft-args` header). */
export const MAFFT_ARGS_METADATA_KEY = "mafft-args";

/** More tokens than this is not a MAFFT command line anyone means. */
export const MAX_MAFFT_ARG_TOKENS = 40;

type ValueSpec =
  | { kind: "int"; min: number; max: number }
  | { kind: "number"; min: number; max: number }
  | { kind: "choice"; values: readonly string[] };

export interface MafftOption {
  value?: ValueSpec;
  summary: string;
}

const int = (min: number, max: number): ValueSpec => ({ kind: "int", min, max });
const num = (min: number, max: number): ValueSpec => ({ kind: "number", min, max });

/** The options a job may use (MAFFT 7.505 semantics). */
export const MAFFT_OPTIONS: Readonly<Record<string, MafftOption>> = {
  "--auto": { summary: "choose a strategy from the data size" },
  "--6merpair": { summary: "distances from shared 6-mers (FFT-NS)" },
  "--globalpair": { summary: "all-pairwise global alignment (G-INS-i with --maxiterate)" },
  "--localpair": { summary: "all-pairwise local alignment (L-INS-i with --maxiterate)" },
  "--genafpair": { summary: "generalized affine pairwise alignment (E-INS-i with --maxiterate)" },
  "--maxiterate": { value: int(0, 1000), summary: "iterative refinement cycles" },
  "--retree": { value: int(1, 100), summary: "guide tree rebuilds" },
  "--fft": { summary: "use FFT approximation" },
  "--nofft": { summary: "no FFT approximation" },
  "--parttree": { summary: "PartTree for very many sequences" },
  "--dpparttree": { summary: "PartTree with DP distances" },
  "--partsize": { value: int(2, 1_000_000), summary: "PartTree partition size" },
  "--groupsize": { value: int(2, 1_000_000), summary: "PartTree group size" },
  "--memsave": { summary: "linear-space DP" },
  "--nomemsave": { summary: "no linear-space DP" },
  "--nuc": { summary: "the input is nucleotides" },
  "--amino": { summary: "the input is amino acids" },
  "--anysymbol": { summary: "keep unusual symbols" },
  "--preservecase": { summary: "keep the input's letter case" },
  "--reorder": { summary: "output in aligned order" },
  "--inputorder": { summary: "output in input order" },
  "--adjustdirection": { summary: "reverse-complement sequences that need it" },
  "--adjustdirectionaccurately": { summary: "reverse-complement sequences that need it (slower, more accurate)" },
  "--leavegappyregion": { summary: "leave gappy regions unaligned" },
  "--unweight": { summary: "no sequence weighting" },
  "--op": { value: num(0, 100), summary: "gap opening penalty" },
  "--ep": { value: num(-100, 100), summary: "offset (gap extension) value" },
  "--lop": { value: num(-100, 100), summary: "local gap opening penalty" },
  "--lep": { value: num(-100, 100), summary: "local offset value" },
  "--lexp": { value: num(-100, 100), summary: "local gap extension penalty" },
  "--LOP": { value: num(-100, 100), summary: "genaf gap opening penalty" },
  "--LEXP": { value: num(-100, 100), summary: "genaf gap extension penalty" },
  "--bl": { value: { kind: "choice", values: ["30", "45", "62", "80"] }, summary: "BLOSUM matrix" },
  "--jtt": { value: int(1, 1000), summary: "JTT PAM distance" },
  "--tm": { value: int(1, 1000), summary: "transmembrane PAM distance" },
  "--kimura": { value: int(1, 1000), summary: "nucleotide scoring (Kimura) distance" },
  "--fmodel": { summary: "consider amino-acid composition" },
  "--thread": { value: int(-1, 64), summary: "threads (-1: as many as cores)" },
  "--threadtb": { value: int(0, 64), summary: "threads of the progressive step" },
  "--threadit": { value: int(0, 64), summary: "threads of the iterative step" },
  "--randomseed": { value: int(0, 2_147_483_647), summary: "random seed" },
};

/** Why well-known MAFFT options are refused, in the words a user needs. */
const REFUSED: Readonly<Record<string, string>> = {
  "--quiet": "the aligner forwards MAFFT's messages itself, and needs them to explain failures",
  "--clustalout": "the aligner always writes FASTA",
  "--phylipout": "the aligner always writes FASTA",
  "--namelength": "the aligner always writes FASTA",
  "--treeout": "it writes an extra file the aligner does not return",
  "--distout": "it writes an extra file the aligner does not return",
  "--out": "the aligner chooses where the output goes",
  "--progress": "the aligner forwards MAFFT's messages itself",
};
const FILE_OPTIONS = [
  "--add",
  "--addfragments",
  "--addfull",
  "--addlong",
  "--addprofile",
  "--merge",
  "--seed",
  "--anchors",
  "--treein",
  "--aamatrix",
  "--textmatrix",
  "--mapout",
  "--mapoutfile",
  "--compactmapoutfile",
  "--pdbfilelist",
  "--pdbidlist",
  "--seedtable",
];

export type MafftArgsResult = { ok: true; args: string[] } | { ok: false; reason: string };

/** Longest numeric value accepted (`2147483647`, `-0.12345678`). */
export const MAX_VALUE_CHARS = 12;
const INT_RE = /^-?\d+$/;
const NUMBER_RE = /^-?(?:\d+(?:\.\d*)?|\.\d+)$/;

/**
 * Splits a command-line-like text (whitespace separated, `--op=1.5` accepted as `--op 1.5`) and
 * validates it. Empty text gives an empty list: the caller then uses its default arguments.
 */
export function parseMafftArgs(text: string): MafftArgsResult {
  const tokens: string[] = [];
  for (const raw of text.trim().split(/\s+/)) {
    if (raw === "") continue;
    const eq = raw.startsWith("--") ? raw.indexOf("=") : -1;
    if (eq > 0) tokens.push(raw.slice(0, eq), raw.slice(eq + 1));
    else tokens.push(raw);
  }
  return validateMafftArgs(tokens);
}

/** Validates an argument list; returns it unchanged (a copy) when every token is allowed. */
export function validateMafftArgs(tokens: readonly string[]): MafftArgsResult {
  if (tokens.length > MAX_MAFFT_ARG_TOKENS)
    return { ok: false, reason: `${tokens.length} arguments is more than the ${MAX_MAFFT_ARG_TOKENS} allowed` };
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const spec = Object.hasOwn(MAFFT_OPTIONS, t) ? MAFFT_OPTIONS[t] : undefined;
    if (spec === undefined) return { ok: false, reason: refusal(t) };
    out.push(t);
    if (spec.value === undefined) continue;
    const v = tokens[i + 1];
    if (v === undefined) return { ok: false, reason: `${t} needs a value (${describeValue(spec.value)})` };
    const bad = checkValue(spec.value, v);
    if (bad !== undefined) return { ok: false, reason: `${t} ${show(v)} is not allowed: the value must be ${bad}` };
    out.push(v);
    i++;
  }
  return { ok: true, args: out };
}

/** The canonical text of an argument list (what goes into metadata and job events). */
export function formatMafftArgs(args: readonly string[]): string {
  return args.join(" ");
}

/** Does this argument list make MAFFT write sequences in aligned rather than input order? */
export function reordersOutput(args: readonly string[]): boolean {
  let reorder = false;
  for (const a of args) {
    if (a === "--reorder") reorder = true;
    else if (a === "--inputorder") reorder = false;
  }
  return reorder;
}

/** Does this argument list switch MAFFT to any-symbol mode (which --preservecase also does)? */
export function keepsAnySymbol(args: readonly string[]): boolean {
  return args.includes("--anysymbol") || args.includes("--preservecase");
}

function refusal(t: string): string {
  const shown = show(t);
  if (!t.startsWith("-"))
    return `${shown} is not an option; give only MAFFT options (the aligner passes the input file itself)`;
  if (Object.hasOwn(REFUSED, t)) return `${shown} is not allowed: ${REFUSED[t]}`;
  if (FILE_OPTIONS.includes(t)) return `${shown} is not allowed: it reads another file, and a job has only its input`;
  if (t === "--help" || t === "--version" || t === "--man" || t === "--info")
    return `${shown} is not allowed: it does not align anything`;
  return `${shown} is not an allowed MAFFT option (allowed: ${Object.keys(MAFFT_OPTIONS).join(", ")})`;
}

function checkValue(spec: ValueSpec, v: string): string | undefined {
  if (spec.kind === "choice") return spec.values.includes(v) ? undefined : describeValue(spec);
  // Bounded, so that any allowed list fits in the alignment's metadata (S3 allows 2 KB in all).
  if (v.length > MAX_VALUE_CHARS) return `${describeValue(spec)}, written in at most ${MAX_VALUE_CHARS} characters`;
  const re = spec.kind === "int" ? INT_RE : NUMBER_RE;
  if (!re.test(v)) return describeValue(spec);
  const n = Number(v);
  return n >= spec.min && n <= spec.max ? undefined : describeValue(spec);
}

function describeValue(spec: ValueSpec): string {
  if (spec.kind === "choice") return `one of ${spec.values.join(", ")}`;
  return `${spec.kind === "int" ? "a whole number" : "a number"} from ${spec.min} to ${spec.max}`;
}

/** A token as a message shows it: quoted, shortened, control characters made visible. */
function show(t: string): string {
  const clean = t.replace(/[^\x20-\x7e]/g, "?");
  return `'${clean.length > 30 ? `${clean.slice(0, 29)}…` : clean}'`;
}
