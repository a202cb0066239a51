import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { MyUsage } from "./MyUsage";
import { usageRecord, usageTotals } from "../../test/fixtures";

const totals = usageTotals(3, 1200, 30, "0.000123");
const keys = {
  data: [
    { id: "5", user_id: "2", label: "laptop", enabled: true, api_key: "sk-…abcd", expires_at: null },
    { id: "6", user_id: "2", label: null, enabled: true, api_key: "sk-…9f00", expires_at: null },
  ],
  next_cursor: null,
};
const record = usageRecord({ input_tokens: 1000, output_tokens: 20, cost_usd: "0.0001", latency_ms: 850, ttfb_ms: 120, estimated: true });
const query = (url: string) => Object.fromEntries(new URL(url, "http://x").searchParams);

describe("my usage", () => {
  it("shows the user's own totals and records, naming their keys, through the user API only", async () => {
    const calls = mockGateway({
      "GET /user/keys": () => json(200, keys),
      "GET /user/usage/summary": () => json(200, { data: [], total: totals }),
      "GET /user/usage": () => json(200, { data: [record, { ...record, request_id: "req-2", key_id: "6", cost_usd: null, estimated: false }], next_cursor: null }),
    });
    renderPage(<MyUsage />, "/me/usage");

    expect(screen.getByRole("heading", { level: 1, name: "My usage" })).toBeTruthy();
    const stats = screen.getByRole("region", { name: "Totals" });
    expect(await within(stats).findByText("1,200")).toBeTruthy();
    expect(within(stats).getByText("$0.000123")).toBeTruthy();

    const records = screen.getByRole("region", { name: "Records" });
    const first = (await within(records).findByText("req-1")).closest("tr")!;
    expect(await within(first).findByText("laptop")).toBeTruthy();
    expect(within(first).getByText("≈").getAttribute("title")).toBe("Estimated: the stream ended before the provider reported its usage");
    expect(within(first).getByText("first byte 120 ms")).toBeTruthy();
    // A user's records don't link to the admin's request logs.
    expect(within(first).queryByRole("link")).toBeNull();
    const second = within(records).getByText("req-2").closest("tr")!;
    expect(within(second).getByText("sk-…9f00")).toBeTruthy();
    expect(within(second).getByTitle("The model has no price").textContent).toBe("—");

    // No user filter for a user: only their own keys, by label.
    expect(screen.queryByLabelText("User")).toBeNull();
    expect(within(screen.getByLabelText("Key")).getAllByRole("option").map((o) => o.textContent)).toEqual(["All", "laptop", "sk-…9f00"]);
    expect(within(screen.getByLabelText("Group by")).queryByRole("option", { name: "User" })).toBeNull();

    expect(calls.every((c) => c.url.startsWith("/user/"))).toBe(true);
    expect(query(calls.find((c) => c.url.startsWith("/user/keys"))!.url)).toEqual({ limit: "500" });
    expect(query(calls.find((c) => c.url.startsWith("/user/usage/summary"))!.url)).toEqual({ granularity: "total" });
  });

  it("groups by key and filters by one, the filters kept in the query", async () => {
    const calls = mockGateway({
      "GET /user/keys": () => json(200, keys),
      "GET /user/usage/summary": (call) =>
        json(
          200,
          query(call.url).group_by === "key"
            ? {
                data: [
                  { key_id: "6", ...totals, cost_usd: "0.00002" },
                  { key_id: "5", ...totals, cost_usd: "0.0001" },
                ],
                total: totals,
              }
            : { data: [], total: totals },
        ),
      "GET /user/usage": () => json(200, { data: [record], next_cursor: null }),
    });
    const user = userEvent.setup();
    renderPage(<MyUsage />, "/me/usage");
    await screen.findByText("req-1");

    await screen.findByRole("option", { name: "laptop" });
    await user.selectOptions(screen.getByLabelText("Key"), "laptop");
    await user.type(screen.getByLabelText("Model"), "gpt-4.1");
    await user.selectOptions(screen.getByLabelText("Group by"), "key");
    await user.click(screen.getByRole("button", { name: "Apply" }));

    const grouped = await screen.findByRole("region", { name: "By Key" });
    const names = () =>
      within(grouped)
        .getAllByRole("row")
        .slice(1)
        .map((r) => r.firstElementChild?.textContent);
    // Highest cost first, each key by its label (or masked key).
    await vi.waitFor(() => expect(names()).toEqual(["laptop", "sk-…9f00"]));

    const summaries = calls.filter((c) => c.url.startsWith("/user/usage/summary")).map((c) => query(c.url));
    expect(summaries).toContainEqual({ key_id: "5", model: "gpt-4.1", granularity: "total", group_by: "key" });
    expect(summaries).toContainEqual({ key_id: "5", model: "gpt-4.1", granularity: "total" });
    const lists = calls.filter((c) => c.url.startsWith("/user/usage?")).map((c) => query(c.url));
    expect(lists.at(-1)).toEqual({ key_id: "5", model: "gpt-4.1" });
    expect(calls.some((c) => c.url.startsWith("/admin/"))).toBe(false);
  });
});
