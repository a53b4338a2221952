// A bounded, never-throwing look at an untrusted value (a JSON item from the network, a row from a batch): the
// start of its JSON text, built only as far as it is shown, so neither its size nor its nesting costs anything.

/**
 * The first `maxChars` characters of `JSON.stringify(value)`, then `…` when it goes on. Each nesting level
 * emits a character, so the walk goes at most `maxChars` levels deep. Unlike JSON, NaN and Infinity show as
 * themselves, a bigint as its digits, and a value JSON has no text for (undefined, a function) as its typeof.
 */
export function previewJson(value: unknown, maxChars: number): string {
  const out: string[] = [];
  let left = maxChars + 1;
  const emit = (text: string): boolean => {
    out.push(text.length > left ? text.slice(0, left) : text);
    left -= text.length;
    return left > 0;
  };
  const walk = (v: unknown): boolean => {
    if (v === null) return emit('null');
    switch (typeof v) {
      case 'string':
        return emit(JSON.stringify(v.length > left ? v.slice(0, left) : v));
      case 'number':
        return emit(String(v));
      case 'boolean':
        return emit(v ? 'true' : 'false');
      case 'bigint':
        return emit(v.toString());
      case 'object':
        break;
      default:
        return emit('null');
    }
    if (Array.isArray(v)) {
      if (!emit('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !emit(',')) return false;
        const item: unknown = v[i];
        if (!walk(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : item))
          return false;
      }
      return emit(']');
    }
    if (!emit('{')) return false;
    let first = true;
    for (const key in v) {
      if (!Object.hasOwn(v, key)) continue;
      const item: unknown = (v as Record<string, unknown>)[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      if (!first && !emit(',')) return false;
      first = false;
      if (!emit(`${JSON.stringify(key.length > left ? key.slice(0, left) : key)}:`) || !walk(item)) return false;
    }
    return emit('}');
  };
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return typeof value;
  try {
    walk(value);
  } catch {
    // An exotic object (a throwing getter, a revoked proxy): what was built so far.
    out.push('?');
    left = -1;
  }
  const text = out.join('');
  return left > 0 ? text : `${text.slice(0, maxChars)}…`;
}

/** What kind of value it is, as the previews name it: `null`, `array`, or its typeof. */
export function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}
