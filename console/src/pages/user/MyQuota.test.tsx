import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { MyQuota } from "./MyQuota";

const quota = {
  id: "3",
  user_id: "2",
  limit_usd: "25",
  used_usd: "12.345678901",
  reserved_usd: "2.654321099",
  period: "monthly",
  period_start: "2026-11-01T00:00:00Z",
};
const limits = {
  data: [
    { id: "6", user_id: "2", model_pattern: "gpt-*", rpm: 60, rpd: null, tpm: 100000, tpd: null },
    { id: "7", user_id: "2", model_pattern: "*", rpm: null, rpd: 5000, tpm: null, tpd: 2000000 },
  ],
  next_cursor: null,
};

/** The description of `term` in the budget's facts. */
const fact = (scope: HTMLElement, term: string) => within(scope).getByText(term).nextElementSibling?.textContent;
const cells = (row: HTMLElement) =>
  within(row)
    .getAllByRole("cell")
    .map((c) => c.textContent);

describe("my quota", () => {
  it("shows the budget as exact money with the share used, and the rate limits", async () => {
    const calls = mockGateway({
      "GET /user/quota": () => json(200, quota),
      "GET /user/rate-limits": () => json(200, limits),
    });
    renderPage(<MyQuota />, "/me/quota");

    expect(screen.getByRole("heading", { level: 1, name: "My quota" })).toBeTruthy();
    const budget = screen.getByRole("region", { name: "Budget" });
    const meter = await within(budget).findByRole("meter", { name: "Share of the budget used" });
    // (12.345678901 + 2.654321099) / 25 = 60 %: what is held counts as used.
    expect(meter.getAttribute("aria-valuenow")).toBe("60");
    expect(fact(budget, "Limit")).toBe("$25.00");
    expect(fact(budget, "Used this period")).toBe("$12.345678901");
    expect(fact(budget, "Held by calls in flight")).toBe("$2.654321099");
    expect(fact(budget, "Period")).toBe("Monthly (UTC)");
    expect(fact(budget, "Period started")).not.toBe("—");

    const table = screen.getByRole("region", { name: "Rate limits" });
    const rows = (await within(table).findAllByRole("row")).slice(1);
    expect(rows.map(cells)).toEqual([
      ["gpt-*", "60", "—", "100,000", "—"],
      ["*", "—", "5,000", "—", "2,000,000"],
    ]);
    expect(calls.map((c) => [c.method, c.url]).sort()).toEqual([
      ["GET", "/user/quota"],
      ["GET", "/user/rate-limits"],
    ]);
  });

  it("caps the meter at a spent budget and names an unknown period as it is", async () => {
    mockGateway({
      "GET /user/quota": () => json(200, { ...quota, limit_usd: "10", used_usd: "10.5", reserved_usd: "0", period: "weekly" }),
      "GET /user/rate-limits": () => json(200, { data: [], next_cursor: null }),
    });
    renderPage(<MyQuota />, "/me/quota");
    const budget = screen.getByRole("region", { name: "Budget" });
    expect((await within(budget).findByRole("meter")).getAttribute("aria-valuenow")).toBe("100");
    expect(fact(budget, "Period")).toBe("weekly");
  });

  it("says there is no budget when the user has no quota", async () => {
    mockGateway({
      "GET /user/quota": () => json(404, { error: "no quota" }),
      "GET /user/rate-limits": () => json(200, { data: [], next_cursor: null }),
    });
    renderPage(<MyQuota />, "/me/quota");
    const budget = screen.getByRole("region", { name: "Budget" });
    expect(await within(budget).findByText("You have no budget: your calls are not limited by cost.")).toBeTruthy();
    expect(within(budget).queryByRole("meter")).toBeNull();
    expect(within(budget).queryByRole("alert")).toBeNull();
    expect(await within(screen.getByRole("region", { name: "Rate limits" })).findByText("Nothing here yet.")).toBeTruthy();
  });

  it("shows any other failure as an error", async () => {
    mockGateway({
      "GET /user/quota": () => json(500, { error: "database is locked" }),
      "GET /user/rate-limits": () => json(200, { data: [], next_cursor: null }),
    });
    renderPage(<MyQuota />, "/me/quota");
    const budget = screen.getByRole("region", { name: "Budget" });
    expect((await within(budget).findByRole("alert")).textContent).toBe("The gateway failed (500): database is locked");
    expect(within(budget).queryByText(/You have no budget/)).toBeNull();
  });
});
