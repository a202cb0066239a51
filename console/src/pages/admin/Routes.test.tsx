import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes as Switch, useParams } from "react-router";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { Routes } from "./Routes";

const member = (id: string, model_id: string) => ({ id, provider: "openai", model_id, tier: 0, weight: 1 });
const smart = { id: "4", name: "smart", enabled: true, members: [member("1", "gpt-4.1"), member("2", "gpt-4o")] };

function Detail() {
  const { id } = useParams();
  return <h1>route {id}</h1>;
}

function renderRoutes() {
  return renderPage(
    <Switch>
      <Route path="/routes" element={<Routes />} />
      <Route path="/routes/:id" element={<Detail />} />
    </Switch>,
    "/routes",
  );
}

describe("routes", () => {
  it("lists the routes with their member count, pages on, and disables one", async () => {
    let current = smart;
    const calls = mockGateway({
      "GET /admin/routes": (call) =>
        call.url.includes("cursor=c1")
          ? json(200, { data: [{ id: "5", name: "backup", enabled: false, members: [] }], next_cursor: null })
          : json(200, { data: [current], next_cursor: "c1" }),
      "PATCH /admin/routes/4": (call) => {
        current = { ...current, ...(call.body as object) };
        return json(200, current);
      },
    });
    const user = userEvent.setup();
    renderRoutes();

    const link = await screen.findByRole("link", { name: "smart" });
    expect(link.getAttribute("href")).toBe("/routes/4");
    const row = link.closest("tr")!;
    expect(within(row).getByText("2")).toBeTruthy();
    await user.click(within(row).getByRole("button", { name: "Disable" }));
    expect(await within(row).findByText("Disabled")).toBeTruthy();
    expect(calls.filter((c) => c.method === "PATCH").map((c) => [c.url, c.body])).toEqual([["/admin/routes/4", { enabled: false }]]);

    await user.click(screen.getByRole("button", { name: /Next/ }));
    expect(await screen.findByRole("link", { name: "backup" })).toBeTruthy();
    expect(screen.getByText("Page 2")).toBeTruthy();
    expect(screen.queryByRole("link", { name: "smart" })).toBeNull();
  });

  it("creates a route, showing the gateway's error next to the name, then opens it", async () => {
    const calls = mockGateway({
      "GET /admin/routes": () => json(200, { data: [smart], next_cursor: null }),
      "POST /admin/routes": (call) =>
        (call.body as { name: string }).name === "smart"
          ? json(409, { error: "a route or alias named smart already exists", field: "name" })
          : json(201, { id: "9", ...(call.body as object), members: [] }),
    });
    const user = userEvent.setup();
    renderRoutes();
    await screen.findByRole("link", { name: "smart" });

    await user.click(screen.getByRole("button", { name: "New route" }));
    const dialog = screen.getByRole("dialog", { name: "New route" });
    const name = within(dialog).getByLabelText("Name");
    await user.type(name, "smart");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    await within(dialog).findByText("a route or alias named smart already exists");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    const describedBy = name.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy.split(" ").at(-1) ?? "")?.textContent).toBe("a route or alias named smart already exists");

    await user.clear(name);
    await user.type(name, " cheap ");
    await user.click(within(dialog).getByLabelText("Enabled"));
    await user.click(within(dialog).getByRole("button", { name: "Create" }));

    expect(await screen.findByRole("heading", { name: "route 9" })).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { name: "smart", enabled: true },
      { name: "cheap", enabled: false },
    ]);
  });

  it("deletes a route only after confirmation", async () => {
    let routes = [smart];
    const calls = mockGateway({
      "GET /admin/routes": () => json(200, { data: routes, next_cursor: null }),
      "DELETE /admin/routes/4": () => {
        routes = [];
        return new Response(null, { status: 204 });
      },
    });
    const user = userEvent.setup();
    renderRoutes();
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete this route?" });
    expect(within(dialog).getByText("Calls naming smart will no longer be resolved.")).toBeTruthy();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/admin/routes/4"]);
  });
});
