import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { RouteDetail } from "./RouteDetail";

type Member = { id: string; provider: string; model_id: string; tier: number; weight: number };
const providers = {
  data: [
    { id: "1", name: "openai", channel: "openai", settings: {}, created_at: "2026-01-01T00:00:00Z" },
    { id: "2", name: "claude", channel: "anthropic", settings: {}, created_at: "2026-01-01T00:00:00Z" },
  ],
  next_cursor: null,
};
const route = { id: "4", name: "smart", enabled: true, members: [] };

function renderDetail() {
  return renderPage(
    <Routes>
      <Route path="/routes/:id" element={<RouteDetail />} />
    </Routes>,
    "/routes/4",
  );
}

/** The target (model id) of each member row, in the order shown. */
const shown = () =>
  within(screen.getByRole("region", { name: "Members" }))
    .getAllByRole("row")
    .slice(1)
    .map((r) => r.querySelector("code")?.textContent);

describe("route detail", () => {
  it("lists the members by tier then weight and adds one, checking tier and weight are whole numbers", async () => {
    let members: Member[] = [
      { id: "1", provider: "openai", model_id: "gpt-4o", tier: 1, weight: 1 },
      { id: "2", provider: "openai", model_id: "gpt-4.1", tier: 0, weight: 1 },
      { id: "3", provider: "openai", model_id: "gpt-4.1-mini", tier: 0, weight: 5 },
    ];
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/routes/4": () => json(200, route),
      "GET /admin/routes/4/members": () => json(200, { data: members, next_cursor: null }),
      "POST /admin/routes/4/members": (call) => {
        const body = call.body as Omit<Member, "id">;
        if (body.weight > 100) return json(400, { error: "weight must be 1 to 100", field: "weight" });
        members = [...members, { id: "8", ...body }];
        return json(201, members.at(-1));
      },
    });
    const user = userEvent.setup();
    renderDetail();

    expect(await screen.findByRole("heading", { level: 1, name: "smart" })).toBeTruthy();
    await screen.findByText("gpt-4o");
    expect(shown()).toEqual(["gpt-4.1-mini", "gpt-4.1", "gpt-4o"]);

    await user.click(screen.getByRole("button", { name: "Add member" }));
    const dialog = screen.getByRole("dialog", { name: "Add member" });
    await within(dialog).findByRole("option", { name: "claude" });
    await user.selectOptions(within(dialog).getByLabelText("Provider"), "claude");
    await user.type(within(dialog).getByLabelText("Model ID"), "claude-haiku");
    const tier = within(dialog).getByLabelText("Tier");
    const weight = within(dialog).getByLabelText("Weight");
    expect((tier as HTMLInputElement).value).toBe("0");
    expect((weight as HTMLInputElement).value).toBe("1");

    await user.clear(tier);
    await user.type(tier, "1.5");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    await within(dialog).findByText("Enter a whole number");
    expect(tier.getAttribute("aria-invalid")).toBe("true");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.clear(tier);
    await user.type(tier, "2");
    await user.clear(weight);
    await user.type(weight, "500");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    await within(dialog).findByText("weight must be 1 to 100");
    expect(weight.getAttribute("aria-invalid")).toBe("true");
    expect(tier.getAttribute("aria-invalid")).toBeNull();

    await user.clear(weight);
    await user.type(weight, "3");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(await screen.findByText("claude-haiku")).toBeTruthy();
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(shown()).toEqual(["gpt-4.1-mini", "gpt-4.1", "gpt-4o", "claude-haiku"]);
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { provider: "claude", model_id: "claude-haiku", tier: 2, weight: 500 },
      { provider: "claude", model_id: "claude-haiku", tier: 2, weight: 3 },
    ]);
  });

  it("removes a member only after confirmation", async () => {
    let members: Member[] = [
      { id: "1", provider: "openai", model_id: "gpt-4o", tier: 0, weight: 1 },
      { id: "2", provider: "claude", model_id: "claude-haiku", tier: 1, weight: 1 },
    ];
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/routes/4": () => json(200, route),
      "GET /admin/routes/4/members": () => json(200, { data: members, next_cursor: null }),
      "DELETE /admin/routes/4/members/2": () => {
        members = members.filter((m) => m.id !== "2");
        return new Response(null, { status: 204 });
      },
    });
    const user = userEvent.setup();
    renderDetail();

    const row = (await screen.findByText("claude-haiku")).closest("tr")!;
    await user.click(within(row).getByRole("button", { name: "Remove" }));
    const dialog = screen.getByRole("dialog", { name: "Remove this member?" });
    expect(within(dialog).getByText("claude/claude-haiku will no longer serve this route.")).toBeTruthy();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);

    await user.click(within(dialog).getByRole("button", { name: "Remove" }));
    await screen.findByRole("heading", { level: 1, name: "smart" });
    await vi.waitFor(() => expect(screen.queryByText("claude-haiku")).toBeNull());
    expect(shown()).toEqual(["gpt-4o"]);
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/admin/routes/4/members/2"]);
  });

  it("renames the route and shows the gateway's error next to the name", async () => {
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/routes/4": () => json(200, route),
      "GET /admin/routes/4/members": () => json(200, { data: [], next_cursor: null }),
      "PATCH /admin/routes/4": () => json(409, { error: "a route or alias named fast already exists", field: "name" }),
    });
    const user = userEvent.setup();
    renderDetail();
    const name = await screen.findByLabelText("Name");
    await user.clear(name);
    await user.type(name, "fast");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("a route or alias named fast already exists")).toBeTruthy();
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByText("Saved")).toBeNull();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({ name: "fast", enabled: true });
  });
});
