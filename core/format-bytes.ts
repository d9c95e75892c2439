/** Byte counts as people read them (`462 bytes`, `19.9 KiB`, `100 MiB`): job errors, CLI messages. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  // Compare what is shown, so 1048575 bytes reads 1.0 MiB rather than 1024 KiB.
  while (Number(shown(v)) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${shown(v)} ${units[i]}`;
}

const shown = (v: number) => (v >= 100 ? v.toFixed(0) : v.toFixed(1));
