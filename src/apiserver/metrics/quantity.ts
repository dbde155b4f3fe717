/**
 * Quantities as metrics-server writes them (Kubernetes' canonical Quantity form): CPU from nanocores as a
 * DecimalSI quantity at scale −9 (`123456n`, `12m`, `1`), memory from bytes as BinarySI (`1500Ki`, `2Mi`,
 * plain bytes when not a multiple of 1024). The largest suffix that keeps the value an integer wins.
 */

const DECIMAL: [number, string][] = [[9, 'G'], [6, 'M'], [3, 'k'], [0, ''], [-3, 'm'], [-6, 'u'], [-9, 'n']];
const BINARY = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

export function formatNanoCores(nanocores: number): string {
  const n = BigInt(Math.max(0, Math.round(nanocores)));
  if (n === 0n) return '0';
  for (const [exp, suffix] of DECIMAL) {
    const unit = 10n ** BigInt(exp + 9);
    if (n % unit === 0n) return `${n / unit}${suffix}`;
  }
  return `${n}n`;
}

export function formatBytes(bytes: number): string {
  let n = BigInt(Math.max(0, Math.round(bytes)));
  if (n === 0n) return '0';
  let i = 0;
  while (i < BINARY.length - 1 && n % 1024n === 0n) {
    n /= 1024n;
    i++;
  }
  return `${n}${BINARY[i]}`;
}

/** A Go duration string (`10s`, `12.5s`, `1m5s`) of milliseconds, as metav1.Duration serializes a window. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  const m = Math.floor(total / 60_000);
  const rest = total - m * 60_000;
  const s = `${Math.floor(rest / 1000)}${rest % 1000 ? `.${String(rest % 1000).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
  return m ? `${m}m${s}` : s;
}
