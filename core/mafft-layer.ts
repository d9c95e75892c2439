/**
 * Where the MAFFT layer puts things. A Lambda layer is unpacked under /opt; the layer build
 * (`layers/mafft/`), the aligner's MAFFT runner and the function environment all read this.
 */
export const MAFFT_LAYER = {
  /** Root of the layer inside the zip (relative) and inside Lambda (under /opt). */
  dirInZip: "mafft",
  root: "/opt/mafft",
  /** The `mafft` driver script. */
  script: "/opt/mafft/bin/mafft",
  /** Compiled helpers (MAFFT_BINARIES). */
  binaries: "/opt/mafft/libexec",
  /** Tools the script needs that Amazon Linux 2023's minimal image lacks (busybox applets). */
  toolsBin: "/opt/mafft/tools/bin",
  /** Writable scratch space in Lambda. */
  tmp: "/tmp",
} as const;
