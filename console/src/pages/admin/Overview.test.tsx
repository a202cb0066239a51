import { screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { windowFor } from "../../lib/overview";
import { Overview } from "./Overview";

const NOW = Date.parse("2026-11-30T10:20:00Z");
const totals = (requests: number, cost: string) => ({
  requests,
  input_tokens: requests * 100,
  output_tokens: requests * 10,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  cost_usd: cost,
});
const row = (time: string, requests: number, cost: string) => ({ time, ...totals(requests, cost) });

describe("overview", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it("draws the last 24 hours by hour against the day before, with errors and the top lists", async () => {
    const w = windowFor("24h", NOW);
    expect(w.from).toBe("2026-11-29T11:00:00.000Z");
    expect(w.to).toBe("2026-11-30T11:00:00.000Z");
    const calls = mockGateway({
      "GET /admin/users": () => json(200, { data: [{ id: "2", name: "ann", is_admin: false, enabled: true, created_at: "" }], next_cursor: null }),
      "GET /admin/usage/summary": (call) => {
        const q = new URL(call.url, "http://x").searchParams;
        const group = q.get("group_by");
        if (group === "user") return json(200, { data: [{ user_id: "2", ...totals(7, "1.5") }], total: totals(7, "1.5") });
        if (group === "model")
          return json(200, {
            data: [
              { model: "cheap", ...totals(5, "0.01") },
              { model: "gpt-4.1", ...totals(2, "1.49") },
            ],
            total: totals(7, "1.5"),
          });
        if (group === "provider") return json(200, { data: [{ provider: "openai", ...totals(7, "1.5") }], total: totals(7, "1.5") });
        const previous = q.get("to") === w.previousTo;
        if (q.get("status") === "200")
          return json(200, previous ? { data: [], total: totals(0, "0") } : { data: [row("2026-11-30T10:00:00Z", 4, "1")], total: totals(4, "1") });
        return previous
          ? json(200, { data: [row("2026-11-29T10:00:00Z", 2, "0.5")], total: totals(2, "0.5") })
          : json(200, { data: [row("2026-11-30T09:00:00Z", 2, "0.5"), row("2026-11-30T10:00:00Z", 5, "1")], total: totals(7, "1.5") });
      },
    });
    renderPage(<Overview />, "/overview");

    const stats = await screen.findByRole("region", { name: "Totals" });
    expect(within(stats).getByText("7")).toBeTruthy();
    expect(within(stats).getByText("$1.50")).toBeTruthy();
    expect(within(stats).getByText("770")).toBeTruthy();
    // 7 requests against 2 the day before.
    const requests = within(stats).getByText("Requests").parentElement!;
    expect(within(requests).getByText("+250% vs. the period before")).toBeTruthy();
    // Errors per hour are all − answered 200: (2 − 0) + (5 − 4) = 3, against 2 − 0 the day before.
    const errors = within(stats).getByText("Errors").parentElement!;
    expect(within(errors).getByText("3")).toBeTruthy();
    expect(within(errors).getByText("+50% vs. the period before")).toBeTruthy();

    const charts = screen.getAllByRole("img");
    expect(charts).toHaveLength(4);
    expect(charts[0].getAttribute("aria-label")).toBe("Requests: last 24 h 7, 24 h before (dashed) 2");
    expect(charts[0].querySelectorAll("rect")).toHaveLength(24);
    expect(charts[0].querySelector("polyline")).toBeTruthy();

    const models = screen.getByRole("region", { name: "Top models by cost" });
    const names = within(models)
      .getAllByRole("row")
      .slice(1)
      .map((r) => r.firstElementChild?.textContent);
    expect(names).toEqual(["gpt-4.1", "cheap"]);
    expect(await within(screen.getByRole("region", { name: "Top users by cost" })).findByText("ann")).toBeTruthy();

    const summaries = calls.filter((c) => c.url.startsWith("/admin/usage/summary")).map((c) => new URL(c.url, "http://x").searchParams);
    expect(summaries).toHaveLength(7);
    expect(summaries.filter((q) => q.get("granularity") === "hour").every((q) => q.get("from") !== null)).toBe(true);
    expect(summaries.filter((q) => q.get("group_by")).every((q) => q.get("granularity") === "total")).toBe(true);
  });
});
