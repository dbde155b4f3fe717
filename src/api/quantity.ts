/**
 * resource.Quantity: parsing (`100m`, `1.5Gi`, `1e3`, `2k`) and the canonical string the apiserver
 * writes back (`0.5` → `500m`, `1000Mi` stays, `1024Mi` → `1Gi`, `1000` → `1k`), after
 * k8s.io/apimachinery/pkg/api/resource. Values are held exactly as a BigInt count of nano-units and,
 * like Kubernetes, anything finer than 1n is rounded up (away from zero).
 */

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export const QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix";

export class QuantityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuantityError';
  }
}

const NANO = 10n ** 9n;
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXP = new Map(Object.entries(DECIMAL_SUFFIXES).map(([k, v]) => [v, k]));
const BINARY_BY_EXP = new Map(Object.entries(BINARY_SUFFIXES).map(([k, v]) => [v, k]));
const QUANTITY_RE = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

/** Exact integer division rounding away from zero. */
function divUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a ? q : a < 0n ? q - 1n : q + 1n;
}

export class Quantity {
  /** The value in nano-units (value × 10^9), exact. */
  readonly nano: bigint;
  readonly format: QuantityFormat;

  constructor(nano: bigint, format: QuantityFormat = 'DecimalSI') {
    this.nano = nano;
    this.format = format;
  }

  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  /** Value() in Go: the integer value, rounded up. */
  value(): number {
    return Number(divUp(this.nano, NANO));
  }

  /** MilliValue() in Go: the value in thousandths, rounded up (CPU is usually handled in millicores). */
  milliValue(): number {
    return Number(divUp(this.nano, 1_000_000n));
  }

  isZero(): boolean {
    return this.nano === 0n;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nano < other.nano ? -1 : this.nano > other.nano ? 1 : 0;
  }

  /** The sum, in this quantity's format, or the other's when this one is zero (as Go's Add). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nano + other.nano, this.nano === 0n ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nano - other.nano, this.format);
  }

  /** The canonical form Kubernetes serializes (Quantity.String()). */
  toString(): string {
    const n = this.nano;
    if (n === 0n) return '0';
    const sign = n < 0n ? '-' : '';
    const abs = n < 0n ? -n : n;
    let format = this.format;
    if (format === 'BinarySI') {
      // Small or fractional binary values print as decimal so nothing is rounded.
      if (abs < 1024n * NANO || abs % NANO !== 0n) format = 'DecimalSI';
    }
    if (format === 'BinarySI') {
      let v = abs / NANO;
      let exp = 0;
      while (exp < 60 && v % 1024n === 0n) {
        v /= 1024n;
        exp += 10;
      }
      return `${sign}${v}${BINARY_BY_EXP.get(exp) ?? ''}`;
    }
    // Decimal: mantissa × 10^exp with exp a multiple of 3 and as large as keeps the mantissa whole.
    let exp = -9;
    let mantissa = abs;
    while (mantissa % 1000n === 0n && (format === 'DecimalExponent' || exp < 18)) {
      mantissa /= 1000n;
      exp += 3;
    }
    if (format === 'DecimalExponent') return `${sign}${mantissa}${exp === 0 ? '' : `e${exp}`}`;
    return `${sign}${mantissa}${DECIMAL_BY_EXP.get(exp)}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Parses a quantity (`500m`, `1Gi`, `1.5`, `2e3`, or a JSON number); throws QuantityError. */
export function parseQuantity(input: string | number): Quantity {
  const str = typeof input === 'number' ? numberToString(input) : input;
  const m = QUANTITY_RE.exec(str);
  if (!m) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  let num = m[1]!;
  const suffix = m[2]!;
  let negative = false;
  if (num[0] === '+' || num[0] === '-') {
    negative = num[0] === '-';
    num = num.slice(1);
  }
  const dot = num.indexOf('.');
  if (dot !== num.lastIndexOf('.') || num === '.' || num === '') throw new QuantityError(QUANTITY_FORMAT_ERROR);
  const intPart = dot < 0 ? num : num.slice(0, dot);
  const fracPart = dot < 0 ? '' : num.slice(dot + 1);
  // value = digits × 10^-fracLen
  const digits = BigInt((intPart + fracPart) || '0');
  const fracLen = fracPart.length;

  let format: QuantityFormat;
  let numerator: bigint;
  let denominator = 10n ** BigInt(fracLen);
  if (suffix in BINARY_SUFFIXES) {
    format = 'BinarySI';
    numerator = digits * (1n << BigInt(BINARY_SUFFIXES[suffix]!)) * NANO;
  } else if (suffix in DECIMAL_SUFFIXES) {
    format = 'DecimalSI';
    numerator = digits * NANO;
    const e = DECIMAL_SUFFIXES[suffix]!;
    if (e >= 0) numerator *= 10n ** BigInt(e);
    else denominator *= 10n ** BigInt(-e);
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    const e = Number(suffix.slice(1));
    if (Math.abs(e) > 1000) throw new QuantityError(QUANTITY_SUFFIX_ERROR);
    numerator = digits * NANO;
    if (e >= 0) numerator *= 10n ** BigInt(e);
    else denominator *= 10n ** BigInt(-e);
  } else {
    throw new QuantityError(QUANTITY_SUFFIX_ERROR);
  }
  let nano = divUp(numerator, denominator);
  if (negative) nano = -nano;
  return new Quantity(nano, format);
}

function numberToString(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError(QUANTITY_FORMAT_ERROR);
  return String(n);
}

/** parseQuantity that returns undefined instead of throwing. */
export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

/** Rewrites every parseable value of a ResourceList to its canonical string (invalid ones are left for validation). */
export function canonicalizeResourceList(list: Record<string, string | number>): void {
  for (const [k, v] of Object.entries(list)) {
    const q = tryParseQuantity(v);
    if (q) list[k] = q.toString();
  }
}
