// CSV (RFC 4180): fields quoted when they hold a comma, quote, CR or LF (quotes doubled), CRLF
// between records; and the usage records' columns.
import type { Schemas } from "../api/client";

type Cell = string | number | boolean | null | undefined;

export function csvField(value: Cell): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  // A leading =, +, - or @ would run as a formula in a spreadsheet: keep it text.
  const safe = /^[=+\-@]/.test(text) && !/^-?\d/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(",")).join("\r\n") + "\r\n";
}

export const USAGE_COLUMNS = [
  "time",
  "request_id",
  "user_id",
  "user",
  "key_id",
  "key",
  "provider",
  "credential_id",
  "model",
  "operation",
  "protocol",
  "status",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_usd",
  "latency_ms",
  "ttfb_ms",
  "estimated",
] as const;

/** Usage records as CSV: raw values (RFC 3339 UTC times, exact decimal costs), plus names. */
export function usageCsv(
  records: readonly Schemas["Usage"][],
  userName: (id: string | null | undefined) => string = () => "",
  keyName: (id: string | null | undefined) => string = () => "",
): string {
  return toCsv(
    USAGE_COLUMNS,
    records.map((r) => [
      r.time,
      r.request_id,
      r.user_id,
      r.user_id ? userName(r.user_id) : "",
      r.key_id,
      r.key_id ? keyName(r.key_id) : "",
      r.provider,
      r.credential_id,
      r.model,
      r.operation,
      r.protocol,
      r.status,
      r.input_tokens,
      r.output_tokens,
      r.cache_read_tokens,
      r.cache_write_tokens,
      r.reasoning_tokens,
      r.cost_usd,
      r.latency_ms,
      r.ttfb_ms,
      r.estimated,
    ]),
  );
}
