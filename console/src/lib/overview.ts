// The dashboard's arithmetic: the time windows (the last 24 hours by hour, the last 30 days by
// day, each with the same span before it), and summary rows laid out on a window's buckets.

export type Period = "24h" | "30d";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface Window {
  granularity: "hour" | "day";
  /** RFC 3339 bounds of the window `[from, to)` and of the one before it. */
  from: string;
  to: string;
  previousFrom: string;
  previousTo: string;
  /** Each bucket's start (Unix ms), oldest first. */
  buckets: number[];
  /** How far the previous window lies before this one (ms). */
  span: number;
}

/** The window for `period` ending with the bucket `now` falls in (bounds on whole UTC hours / days). */
export function windowFor(period: Period, now: number): Window {
  const step = period === "24h" ? HOUR : DAY;
  const count = period === "24h" ? 24 : 30;
  const end = Math.floor(now / step) * step + step;
  const start = end - count * step;
  const span = count * step;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    granularity: period === "24h" ? "hour" : "day",
    from: iso(start),
    to: iso(end),
    previousFrom: iso(start - span),
    previousTo: iso(start),
    buckets: Array.from({ length: count }, (_, i) => start + i * step),
    span,
  };
}

export interface SummaryRow {
  time?: string;
  user_id?: string | null;
  provider?: string;
  model?: string;
  requests?: number;
  input_tokens?: number;
  output_tokens?: number;
  cost_usd?: string;
}

export type Metric = "requests" | "tokens" | "cost";

export function metricOf(row: SummaryRow, metric: Metric): number {
  switch (metric) {
    case "requests":
      return row.requests ?? 0;
    case "tokens":
      return (row.input_tokens ?? 0) + (row.output_tokens ?? 0);
    case "cost":
      return Number(row.cost_usd ?? 0) || 0;
  }
}

/** `rows` (with `time`) as one value per bucket of `buckets` shifted by `offset` ms; 0 where none. */
export function series(rows: readonly SummaryRow[], buckets: readonly number[], metric: Metric, offset = 0): number[] {
  const byTime = new Map<number, number>();
  for (const row of rows) {
    if (!row.time) continue;
    const at = Date.parse(row.time);
    byTime.set(at, (byTime.get(at) ?? 0) + metricOf(row, metric));
  }
  return buckets.map((b) => byTime.get(b - offset) ?? 0);
}

/** `all − ok` per bucket, never below 0: the calls not answered 200. */
export function difference(all: readonly number[], ok: readonly number[]): number[] {
  return all.map((v, i) => Math.max(0, v - (ok[i] ?? 0)));
}

export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/** The change from `before` to `now` as a fraction; null when there was nothing before. */
export function change(now: number, before: number): number | null {
  if (before === 0) return now === 0 ? 0 : null;
  return (now - before) / before;
}

/** The rows sorted by cost, then requests, highest first; the first `n`. */
export function top<T extends SummaryRow>(rows: readonly T[], n: number): T[] {
  return rows
    .slice()
    .sort((a, b) => metricOf(b, "cost") - metricOf(a, "cost") || (b.requests ?? 0) - (a.requests ?? 0))
    .slice(0, n);
}
