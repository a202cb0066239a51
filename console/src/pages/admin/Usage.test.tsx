import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { UsageExplorer } from "./Usage";
import { usageRecord, usageTotals } from "../../test/fixtures";

// The explorer itself is covered by components/UsageView.test.tsx; this is the admin page
// around it: every user's usage, users named from the directory.
const users = {
  data: [
    { id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" },
    { id: "3", name: "bob", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" },
  ],
  next_cursor: null,
};
const totals = usageTotals(4, 40, 4, "0.4");
const record = usageRecord({ status: 429, output_tokens: 0, cost_usd: "0" });
const query = (url: string) => Object.fromEntries(new URL(url, "http://x").searchParams);

describe("usage page", () => {
  it("names every user's records and groups, and filters by a user chosen by name", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/usage/summary": (call) =>
        json(
          200,
          query(call.url).group_by === "user"
            ? { data: [{ user_id: "9", ...totals, cost_usd: "0.1" }, { user_id: "2", ...totals, cost_usd: "0.3" }], total: totals }
            : { data: [], total: totals },
        ),
      "GET /admin/usage": () => json(200, { data: [record, { ...record, request_id: "req-2", user_id: "9" }], next_cursor: null }),
    });
    const user = userEvent.setup();
    renderPage(<UsageExplorer />, "/usage?group=user");

    expect(screen.getByRole("heading", { level: 1, name: "Usage" })).toBeTruthy();
    expect(query(calls.find((c) => c.url.startsWith("/admin/users"))!.url)).toEqual({ limit: "500" });
    const records = screen.getByRole("region", { name: "Records" });
    const first = (await within(records).findByRole("link", { name: "req-1" })).closest("tr")!;
    expect(await within(first).findByText("ann")).toBeTruthy();
    expect(within(first).getByText("#5")).toBeTruthy();
    expect(within(first).getByRole("link", { name: "req-1" }).getAttribute("href")).toBe("/logs/req-1");
    // A user not among the directory's first 500 shows by id.
    expect(within(within(records).getByText("req-2").closest("tr")!).getByText("#9")).toBeTruthy();

    const grouped = screen.getByRole("region", { name: "By User" });
    await vi.waitFor(() =>
      expect(
        within(grouped)
          .getAllByRole("row")
          .slice(1)
          .map((r) => r.firstElementChild?.textContent),
      ).toEqual(["ann", "#9"]),
    );

    await user.selectOptions(screen.getByLabelText("User"), "bob");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await vi.waitFor(() => expect(query(calls.filter((c) => c.url.startsWith("/admin/usage?")).at(-1)!.url)).toEqual({ user_id: "3" }));
    const summaries = calls.filter((c) => c.url.startsWith("/admin/usage/summary")).map((c) => query(c.url));
    expect(summaries).toContainEqual({ user_id: "3", granularity: "total", group_by: "user" });
    expect(summaries).toContainEqual({ user_id: "3", granularity: "total" });
    expect(calls.some((c) => c.url.startsWith("/user/"))).toBe(false);
  });
});
