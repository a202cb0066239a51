// Before / after of an audit entry, side by side: the union of top-level keys of two JSON
// values, each with both sides pretty-printed and whether it changed.

export interface DiffRow {
  key: string;
  before: string | null;
  after: string | null;
  changed: boolean;
}

function pretty(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value, null, 2);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** One row per top-level key of either side (one row `""` when either side is not an object). */
export function diffRows(before: unknown, after: unknown): DiffRow[] {
  const b = before ?? undefined;
  const a = after ?? undefined;
  if ((b !== undefined && !isObject(b)) || (a !== undefined && !isObject(a))) {
    const left = pretty(b);
    const right = pretty(a);
    return [{ key: "", before: left, after: right, changed: left !== right }];
  }
  const left = (b ?? {}) as Record<string, unknown>;
  const right = (a ?? {}) as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  return keys.map((key) => {
    const l = pretty(left[key]);
    const r = pretty(right[key]);
    return { key, before: b === undefined ? null : l, after: a === undefined ? null : r, changed: l !== r };
  });
}
