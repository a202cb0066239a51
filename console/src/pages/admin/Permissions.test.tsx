import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { emptyPage, renderPage } from "../../test/render";
import { Permissions } from "./Permissions";

const users = { data: [{ id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" }], next_cursor: null };

describe("permissions", () => {
  it("creates a permission for the user of the filter, showing the gateway's error next to its field", async () => {
    let attempts = 0;
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/providers": emptyPage,
      "GET /admin/permissions": () =>
        json(200, { data: attempts > 1 ? [{ id: "9", user_id: "2", provider: null, model_pattern: "gpt-*" }] : [], next_cursor: null }),
      "POST /admin/permissions": () => {
        attempts += 1;
        return attempts === 1
          ? json(400, { error: "model_pattern must not be empty", field: "model_pattern" })
          : json(201, { id: "9", user_id: "2", provider: null, model_pattern: "gpt-*" });
      },
    });
    const user = userEvent.setup();
    renderPage(<Permissions />, "/permissions?user_id=2");
    await screen.findByRole("option", { name: "ann" });
    expect(calls.find((c) => c.url.startsWith("/admin/permissions"))?.url).toContain("user_id=2");

    await user.click(screen.getByRole("button", { name: "New permission" }));
    const dialog = screen.getByRole("dialog");
    const pattern = within(dialog).getByLabelText("Model pattern");
    await user.clear(pattern);
    await user.type(pattern, " ");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));

    await within(dialog).findByText("model_pattern must not be empty");
    expect(pattern.getAttribute("aria-invalid")).toBe("true");
    const describedBy = pattern.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy.split(" ").at(-1) ?? "")?.textContent).toBe("model_pattern must not be empty");

    await user.clear(pattern);
    await user.type(pattern, "gpt-*");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await screen.findByText("gpt-*")).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { user_id: "2", provider: null, model_pattern: "" },
      { user_id: "2", provider: null, model_pattern: "gpt-*" },
    ]);
  });
});
