/**
 * CEL for admission (webhook matchConditions, ValidatingAdmissionPolicy) on @bufbuild/cel: objects go in as
 * CEL maps with whole numbers as `int` (Kubernetes' integers), so `object.spec.replicas > 5` compares ints as
 * upstream's typed environment does; the strings extension (`indexOf`, `lowerAscii`, …) is available.
 * Expressions are parsed once and kept; `compile` reports a syntax error, `evaluate` a runtime one.
 */
import { celEnv, isCelError, parse, plan, type CelInput, type CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

export class CelEvalError extends Error {}

type Program = (bindings: Record<string, CelInput>) => CelValue;

const programs = new Map<string, Program | CelEvalError>();
const env = celEnv({ funcs: strings });

/** A compiled expression, or the error that parsing it gave. */
export function compile(expression: string): Program | CelEvalError {
  let p = programs.get(expression);
  if (p) return p;
  try {
    const run = plan(env, parse(expression));
    p = (bindings) => {
      const out = run(bindings as never);
      if (isCelError(out)) throw new CelEvalError(out.message);
      return out as CelValue;
    };
  } catch (err) {
    p = new CelEvalError((err as Error).message);
  }
  if (programs.size > 10_000) programs.clear();
  programs.set(expression, p);
  return p;
}

/** Evaluates `expression` over JSON `bindings` (converted with toCel); throws CelEvalError. */
export function evaluate(expression: string, bindings: Record<string, unknown>): CelValue {
  const p = compile(expression);
  if (p instanceof CelEvalError) throw p;
  const input: Record<string, CelInput> = {};
  for (const [k, v] of Object.entries(bindings)) input[k] = toCel(v);
  return p(input);
}

/** JSON → CEL input: objects become maps, whole numbers ints. */
export function toCel(v: unknown): CelInput {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(toCel) as CelInput;
  if (typeof v === 'object') {
    // Values CEL made (a variable's map or list) go back in as they are.
    if (Object.getPrototypeOf(v) !== Object.prototype) return v as CelInput;
    const m = new Map<string, CelInput>();
    for (const [k, x] of Object.entries(v)) if (x !== undefined) m.set(k, toCel(x));
    return m as CelInput;
  }
  return v as CelInput;
}
