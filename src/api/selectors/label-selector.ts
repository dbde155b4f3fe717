/**
 * Label selectors: the text form (`app=web,tier!=db,env in (a,b),!canary,gen>3`) parsed exactly as
 * apimachinery's labels.Parse does (same lexer modes, same error text), and the object form
 * (metav1.LabelSelector: matchLabels + matchExpressions) as LabelSelectorAsSelector converts it.
 */
import type { LabelSelector } from '../types.ts';
import { formatValue } from '../field-error.ts';
import { isQualifiedName, isValidLabelValue } from '../validation/names.ts';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export class LabelSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorError';
  }
}

export class ParsedLabelSelector {
  /** Requirements sorted by key, as Kubernetes keeps them. `undefined` = Nothing() (matches no object). */
  readonly requirements: readonly LabelRequirement[] | undefined;

  constructor(requirements: LabelRequirement[] | undefined) {
    this.requirements = requirements ? [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : undefined;
  }

  /** True when the selector selects everything (no requirements). */
  empty(): boolean {
    return this.requirements !== undefined && this.requirements.length === 0;
  }

  matches(labels: Record<string, string> | undefined): boolean {
    if (this.requirements === undefined) return false;
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }

  /** Canonical text form (labels.Selector.String()). */
  toString(): string {
    return (this.requirements ?? []).map(requirementString).join(',');
  }
}

function requirementMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.operator) {
    case 'in': case '=': case '==': return has && r.values.includes(v!);
    case 'notin': case '!=': return !has || !r.values.includes(v!);
    case 'exists': return has;
    case '!': return !has;
    case 'gt': case 'lt': {
      if (!has || !/^[-+]?\d+$/.test(v!)) return false;
      const lv = BigInt(v!);
      const rv = BigInt(r.values[0]!);
      return r.operator === 'gt' ? lv > rv : lv < rv;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists': return r.key;
    case '!': return `!${r.key}`;
    case 'in': return `${r.key} in (${[...r.values].sort().join(',')})`;
    case 'notin': return `${r.key} notin (${[...r.values].sort().join(',')})`;
    case 'gt': return `${r.key}>${r.values[0]}`;
    case 'lt': return `${r.key}<${r.values[0]}`;
    default: return `${r.key}${r.operator}${r.values[0] ?? ''}`;
  }
}

/** labels.NewRequirement's checks; `path` is the field path prefix ('' → Go's nil path). */
export function newRequirement(key: string, operator: LabelOperator, values: string[], path?: string): LabelRequirement {
  const errs: string[] = [];
  const child = (c: string) => (path ? `${path}.${c}` : c);
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length) errs.push(`${child('key')}: Invalid value: ${formatValue(key)}: ${keyErrs.join('; ')}`);
  const valuesPath = child('values');
  const goList = `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
  switch (operator) {
    case 'in': case 'notin':
      if (values.length === 0) errs.push(`${valuesPath}: Invalid value: ${goList}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=': case '==': case '!=':
      if (values.length !== 1) errs.push(`${valuesPath}: Invalid value: ${goList}: exact-match compatibility requires one single value`);
      break;
    case 'exists': case '!':
      if (values.length !== 0) errs.push(`${valuesPath}: Invalid value: ${goList}: values set must be empty for exists and does not exist`);
      break;
    case 'gt': case 'lt':
      if (values.length !== 1) errs.push(`${valuesPath}: Invalid value: ${goList}: for 'Gt', 'Lt' operators, exactly one value is required`);
      values.forEach((v, i) => {
        if (!/^[-+]?\d+$/.test(v)) errs.push(`${valuesPath}[${i}]: Invalid value: ${formatValue(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
      break;
  }
  values.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length) errs.push(`${valuesPath}[${i}][${key}]: Invalid value: ${formatValue(v)}: ${ve.join('; ')}`);
  });
  if (errs.length === 1) throw new LabelSelectorError(errs[0]!);
  if (errs.length > 1) throw new LabelSelectorError(`[${errs.join(', ')}]`);
  return { key, operator, values };
}

// --- lexer ----------------------------------------------------------------------------------

type Tok = 'error' | 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';
const KEYWORDS: Record<string, Tok> = { ')': ')', ',': ',', '!': '!', '==': '==', '=': '=', '>': '>', in: 'in', '<': '<', '!=': '!=', notin: 'notin', '(': '(' };
const SPECIAL = new Set(['=', '!', '(', ')', ',', '>', '<']);
const WHITESPACE = new Set([' ', '\t', '\r', '\n']);

function lex(s: string): { tok: Tok; lit: string }[] {
  const out: { tok: Tok; lit: string }[] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && WHITESPACE.has(s[i]!)) i++;
    if (i >= s.length) {
      out.push({ tok: 'eos', lit: '' });
      return out;
    }
    if (SPECIAL.has(s[i]!)) {
      let buf = '';
      let last: { tok: Tok; lit: string } | undefined;
      while (i < s.length && SPECIAL.has(s[i]!)) {
        buf += s[i];
        const t = KEYWORDS[buf];
        if (t) {
          last = { tok: t, lit: buf };
          i++;
        } else if (last) {
          break;
        } else {
          i++;
        }
      }
      out.push(last ?? { tok: 'error', lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let id = '';
    while (i < s.length && !WHITESPACE.has(s[i]!) && !SPECIAL.has(s[i]!)) id += s[i++];
    out.push({ tok: KEYWORDS[id] ?? 'id', lit: id });
  }
}

const BINARY_OPERATORS = 'in, notin, =, ==, !=, gt, lt';

class Parser {
  #items: { tok: Tok; lit: string }[];
  #pos = 0;

  constructor(s: string) {
    this.#items = lex(s);
  }

  /** In "values" mode the keywords in/notin are plain identifiers. */
  #mode(item: { tok: Tok; lit: string }, values: boolean): { tok: Tok; lit: string } {
    if (values && (item.tok === 'in' || item.tok === 'notin')) return { tok: 'id', lit: item.lit };
    return item;
  }

  lookahead(values = true): { tok: Tok; lit: string } {
    return this.#mode(this.#items[this.#pos]!, values);
  }

  consume(values = true): { tok: Tok; lit: string } {
    const it = this.#items[this.#pos]!;
    if (this.#pos < this.#items.length - 1) this.#pos++;
    return this.#mode(it, values);
  }

  parse(): LabelRequirement[] {
    const reqs: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.lookahead();
      if (tok === 'id' || tok === '!') {
        try {
          reqs.push(this.parseRequirement());
        } catch (e) {
          throw new LabelSelectorError(`unable to parse requirement: ${(e as Error).message}`);
        }
        const t = this.consume();
        if (t.tok === 'eos') return reqs;
        if (t.tok === ',') {
          const t2 = this.lookahead();
          if (t2.tok !== 'id' && t2.tok !== '!') throw new LabelSelectorError(`found '${t2.lit}', expected: identifier after ','`);
        } else {
          throw new LabelSelectorError(`found '${t.lit}', expected: ',' or 'end of string'`);
        }
      } else if (tok === 'eos') {
        return reqs;
      } else {
        throw new LabelSelectorError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  parseRequirement(): LabelRequirement {
    let operator: LabelOperator | undefined;
    let { tok, lit } = this.consume();
    if (tok === '!') {
      operator = '!';
      ({ tok, lit } = this.consume());
    }
    if (tok !== 'id') throw new Error(`found '${lit}', expected: identifier`);
    const key = lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw new Error(`<nil>: Invalid value: ${formatValue(key)}: ${keyErrs.join('; ')}`);
    const next = this.lookahead().tok;
    if (next === 'eos' || next === ',') operator ??= 'exists';
    if (operator === 'exists' || operator === '!') return newRequirement(key, operator, []);
    const op = this.consume(false);
    let binary: LabelOperator;
    switch (op.tok) {
      case 'in': binary = 'in'; break;
      case '=': binary = '='; break;
      case '==': binary = '=='; break;
      case '>': binary = 'gt'; break;
      case '<': binary = 'lt'; break;
      case 'notin': binary = 'notin'; break;
      case '!=': binary = '!='; break;
      default: throw new Error(`found '${op.lit}', expected: ${BINARY_OPERATORS}`);
    }
    const values = binary === 'in' || binary === 'notin' ? this.parseValues() : this.parseExactValue();
    return newRequirement(key, binary, [...values].sort());
  }

  parseValues(): Set<string> {
    const open = this.consume();
    if (open.tok !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.lookahead();
    if (tok === 'id' || tok === ',') {
      const s = this.parseIdentifiersList();
      if (this.consume().tok !== ')') throw new Error(`found '${lit}', expected: ')'`);
      return s;
    }
    if (tok === ')') {
      this.consume();
      return new Set(['']);
    }
    throw new Error(`found '${lit}', expected: ',', ')' or identifier`);
  }

  parseIdentifiersList(): Set<string> {
    const s = new Set<string>();
    for (;;) {
      const { tok, lit } = this.consume();
      if (tok === 'id') {
        s.add(lit);
        const t2 = this.lookahead();
        if (t2.tok === ',') continue;
        if (t2.tok === ')') return s;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (tok === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.lookahead().tok;
        if (t2 === ')') {
          s.add('');
          return s;
        }
        if (t2 === ',') {
          this.consume();
          s.add('');
        }
      } else {
        throw new Error(`found '${lit}', expected: ',', or identifier`);
      }
    }
  }

  parseExactValue(): Set<string> {
    const t = this.lookahead().tok;
    if (t === 'eos' || t === ',') return new Set(['']);
    const { tok, lit } = this.consume();
    if (tok === 'id') return new Set([lit]);
    throw new Error(`found '${lit}', expected: identifier`);
  }
}

/** Parses the text form (`?labelSelector=`); throws LabelSelectorError with Kubernetes' message. An empty string selects everything. */
export function parseLabelSelector(text: string): ParsedLabelSelector {
  return new ParsedLabelSelector(new Parser(text).parse());
}

/** Whether `labels` satisfy a parsed selector (or selector text). */
export function labelSelectorMatches(selector: ParsedLabelSelector | string, labels: Record<string, string> | undefined): boolean {
  const sel = typeof selector === 'string' ? parseLabelSelector(selector) : selector;
  return sel.matches(labels);
}

/**
 * metav1.LabelSelectorAsSelector: a missing selector matches nothing, an empty one everything.
 * Throws LabelSelectorError for invalid operators, keys or values.
 */
export function labelSelectorFromObject(sel: LabelSelector | null | undefined): ParsedLabelSelector {
  if (!sel) return new ParsedLabelSelector(undefined);
  const reqs: LabelRequirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const e of sel.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' } as const)[e.operator as 'In'];
    if (!op) throw new LabelSelectorError(`${JSON.stringify(e.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(e.key, op, [...(e.values ?? [])]));
  }
  return new ParsedLabelSelector(reqs);
}
