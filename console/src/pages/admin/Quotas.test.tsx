import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { Quotas } from "./Quotas";

const users = { data: [{ id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" }], next_cursor: null };
const quota = {
  id: "3",
  user_id: "2",
  limit_usd: "25",
  used_usd: "12.345678901",
  reserved_usd: "0.000001",
  period: "monthly",
  period_start: "2026-11-01T00:00:00Z",
};

describe("quotas", () => {
  it("shows amounts as exact money and resets what was used only after confirmation", async () => {
    let current = quota;
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/quotas": () => json(200, { data: [current], next_cursor: null }),
      "POST /admin/quotas/3/reset": () => {
        current = { ...quota, used_usd: "0" };
        return json(200, current);
      },
    });
    const user = userEvent.setup();
    renderPage(<Quotas />, "/quotas");
    expect(await screen.findByText("$12.345678901")).toBeTruthy();
    expect(screen.getByText("$0.000001")).toBeTruthy();
    expect(screen.getByText("$25.00")).toBeTruthy();
    expect(await screen.findByRole("cell", { name: "ann" })).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Reset" }));
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    const dialog = screen.getByRole("dialog");
    expect(within(dialog).getByText(/\$12\.345678901/)).toBeTruthy();
    await user.click(within(dialog).getByRole("button", { name: "Reset" }));

    expect(await screen.findByText("$0.00")).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.url)).toEqual(["/admin/quotas/3/reset"]);
  });
});
