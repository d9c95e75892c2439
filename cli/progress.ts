/**
 * A progress line on stderr for long transfers: `downloading x: 42% (4.2 MiB of 10.0 MiB)`,
 * rewritten in place, only on a terminal and only for files worth it (over 1 MiB), at most ten
 * times a second. `clear()` removes it before the next message.
 */
import { formatBytes } from "../core/format-bytes.ts";

const WORTH_SHOWING = 1 << 20;
const EVERY_MS = 100;

export interface ProgressLine {
  update(done: number, total: number): void;
  clear(): void;
}

export function progressLine(label: string, stderr: NodeJS.WriteStream = process.stderr): ProgressLine {
  let shown = false;
  let lastMs = 0;
  return {
    update(done, total) {
      if (stderr.isTTY !== true || total <= WORTH_SHOWING) return;
      const now = Date.now();
      if (now - lastMs < EVERY_MS && done < total) return;
      lastMs = now;
      shown = true;
      stderr.write(
        `\r\u001b[K${label}: ${Math.floor((100 * done) / total)}% (${formatBytes(done)} of ${formatBytes(total)})`,
      );
    },
    clear() {
      if (shown) stderr.write("\r\u001b[K");
      shown = false;
    },
  };
}
