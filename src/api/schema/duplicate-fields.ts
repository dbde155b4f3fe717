/**
 * fieldValidation=Strict also rejects a JSON object that names a field twice, which JSON.parse
 * silently resolves (last one wins). This scans the raw request body and returns the duplicated
 * fields' paths (`metadata.name`, `spec.containers[0].image`); the apiserver reports each as
 * `duplicate field "<path>"` next to the unknown ones.
 */

/** Paths of fields repeated within one JSON object; [] for valid JSON without duplicates (or text that is not JSON). */
export function duplicateFields(json: string): string[] {
  // Every write's body is scanned: the quick scan clears almost all of them; paths are made only for a duplicate.
  if (!hasDuplicateKeys(json)) return [];
  const out: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < json.length && ' \t\r\n'.includes(json[i]!)) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(json.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    ws();
    const c = json[i];
    if (c === '{') {
      i++;
      const seen = new Set<string>();
      ws();
      if (json[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (json[i] !== '"') throw new SyntaxError('expected key');
        const key = str();
        const p = path ? `${path}.${key}` : key;
        if (seen.has(key)) out.push(p);
        seen.add(key);
        ws();
        if (json[i++] !== ':') throw new SyntaxError('expected :');
        value(p);
        ws();
        const d = json[i++];
        if (d === '}') return;
        if (d !== ',') throw new SyntaxError('expected , or }');
      }
    } else if (c === '[') {
      i++;
      ws();
      if (json[i] === ']') {
        i++;
        return;
      }
      for (let n = 0; ; n++) {
        value(`${path}[${n}]`);
        ws();
        const d = json[i++];
        if (d === ']') return;
        if (d !== ',') throw new SyntaxError('expected , or ]');
      }
    } else if (c === '"') {
      str();
    } else {
      while (i < json.length && !',]} \t\r\n'.includes(json[i]!)) i++;
    }
  };
  try {
    value('');
  } catch {
    return [];
  }
  return out;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether some object in `json` names a key twice: duplicateFields' scan without paths, and without parsing a
 * key unless it holds an escape. Text that is not JSON answers true, so duplicateFields decides.
 */
function hasDuplicateKeys(json: string): boolean {
  let i = 0;
  const n = json.length;
  const ws = () => {
    for (let c = json.charCodeAt(i); c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d; c = json.charCodeAt(++i));
  };
  /** Skips the string at i (its opening quote); returns whether it held an escape. */
  const skipString = (): boolean => {
    let escaped = false;
    for (i++; i < n; i++) {
      const c = json.charCodeAt(i);
      if (c === QUOTE) {
        i++;
        return escaped;
      }
      if (c === BACKSLASH) {
        escaped = true;
        i++;
      }
    }
    throw new SyntaxError('unterminated string');
  };
  const value = (): boolean => {
    ws();
    const c = json.charCodeAt(i);
    if (c === 0x7b /* { */) {
      i++;
      ws();
      if (json.charCodeAt(i) === 0x7d /* } */) {
        i++;
        return false;
      }
      const seen = new Set<string>();
      for (;;) {
        ws();
        if (json.charCodeAt(i) !== QUOTE) throw new SyntaxError('expected key');
        const start = i;
        const key = skipString() ? (JSON.parse(json.slice(start, i)) as string) : json.slice(start + 1, i - 1);
        if (seen.has(key)) return true;
        seen.add(key);
        ws();
        if (json.charCodeAt(i++) !== 0x3a /* : */) throw new SyntaxError('expected :');
        if (value()) return true;
        ws();
        const d = json.charCodeAt(i++);
        if (d === 0x7d /* } */) return false;
        if (d !== 0x2c /* , */) throw new SyntaxError('expected , or }');
      }
    }
    if (c === 0x5b /* [ */) {
      i++;
      ws();
      if (json.charCodeAt(i) === 0x5d /* ] */) {
        i++;
        return false;
      }
      for (;;) {
        if (value()) return true;
        ws();
        const d = json.charCodeAt(i++);
        if (d === 0x5d /* ] */) return false;
        if (d !== 0x2c /* , */) throw new SyntaxError('expected , or ]');
      }
    }
    if (c === QUOTE) {
      skipString();
      return false;
    }
    for (let d = c; i < n && d !== 0x2c && d !== 0x5d && d !== 0x7d && d !== 0x20 && d !== 0x09 && d !== 0x0a && d !== 0x0d; d = json.charCodeAt(++i));
    return false;
  };
  try {
    return value();
  } catch {
    return true;
  }
}
