// Shared test data shaped as the API answers it: one usage record and summary totals, each
// with the fields a test cares about overridden.
import type { Schemas } from "../api/client";

export function usageRecord(fields: Partial<Schemas["Usage"]> = {}): Schemas["Usage"] {
  return {
    request_id: "req-1",
    time: "2026-11-30T10:00:00Z",
    user_id: "2",
    key_id: "5",
    provider: "openai",
    credential_id: "7",
    model: "gpt-4.1",
    operation: "chat",
    protocol: "openai",
    status: 200,
    input_tokens: 10,
    output_tokens: 1,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    cost_usd: "0.1",
    latency_ms: 5,
    ttfb_ms: null,
    estimated: false,
    ...fields,
  };
}

export function usageTotals(requests: number, input_tokens: number, output_tokens: number, cost_usd: string) {
  return { requests, input_tokens, output_tokens, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost_usd };
}
