/**
 * fieldValidation=Strict also rejects a JSON object that names a field twice, which JSON.parse
 * silently resolves (last one wins). This scans the raw request body and returns the duplicated
 * fields' paths (`metadata.name`, `spec.containers[0].image`); the apiserver reports each as
 * `duplicate field "<path>"` next to the unknown ones.
 */

/** Paths of fields repeated within one JSON object; [] for valid JSON without duplicates (or text that is not JSON). */
export function duplicateFields(json: string): string[] {
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
