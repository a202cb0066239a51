import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useParams } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { Users } from "./Users";

const ann = { id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" };
const root = { id: "1", name: "root", is_admin: true, enabled: true, created_at: "2026-01-01T00:00:00Z" };
const query = (url: string) => Object.fromEntries(new URL(url, "http://x").searchParams);

function Detail() {
  const { id } = useParams();
  return <h1>user {id}</h1>;
}

function renderUsers() {
  return renderPage(
    <Routes>
      <Route path="/users" element={<Users />} />
      <Route path="/users/:id" element={<Detail />} />
    </Routes>,
    "/users",
  );
}

describe("users", () => {
  it("lists the users, finds one by exact name and disables them", async () => {
    let current = ann;
    const calls = mockGateway({
      "GET /admin/users": (call) => json(200, { data: query(call.url).name === "ann" ? [current] : [root, current], next_cursor: null }),
      "PATCH /admin/users/2": (call) => {
        current = { ...current, ...(call.body as object) };
        return json(200, current);
      },
    });
    const user = userEvent.setup();
    renderUsers();

    const link = await screen.findByRole("link", { name: "root" });
    expect(link.getAttribute("href")).toBe("/users/1");
    expect(within(link.closest("tr")!).getByText("Admin")).toBeTruthy();
    expect(within(screen.getByRole("link", { name: "ann" }).closest("tr")!).getByText("User")).toBeTruthy();

    await user.type(screen.getByLabelText("Exact name"), " ann ");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await vi.waitFor(() => expect(screen.queryByRole("link", { name: "root" })).toBeNull());
    const row = screen.getByRole("link", { name: "ann" }).closest("tr")!;
    await user.click(within(row).getByRole("button", { name: "Disable" }));
    expect(await within(row).findByText("Disabled")).toBeTruthy();
    expect(within(row).getByRole("button", { name: "Enable" })).toBeTruthy();

    expect(calls.filter((c) => c.method === "GET").map((c) => query(c.url))).toEqual([{}, { name: "ann" }, { name: "ann" }]);
    expect(calls.filter((c) => c.method === "PATCH").map((c) => [c.url, c.body])).toEqual([["/admin/users/2", { enabled: false }]]);
  });

  it("creates a user, showing the gateway's error next to its field, then opens them", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, { data: [ann], next_cursor: null }),
      "POST /admin/users": (call) => {
        const body = call.body as { name: string; password: string };
        if (body.name === "ann") return json(409, { error: "a user named ann already exists", field: "name" });
        if (body.password.length < 8) return json(400, { error: "password must be at least 8 characters", field: "password" });
        return json(201, { ...ann, id: "9", name: body.name });
      },
    });
    const user = userEvent.setup();
    renderUsers();
    await screen.findByRole("link", { name: "ann" });

    await user.click(screen.getByRole("button", { name: "New user" }));
    const dialog = screen.getByRole("dialog", { name: "New user" });
    const name = within(dialog).getByLabelText("Name");
    const password = within(dialog).getByLabelText("Password");
    expect(password.getAttribute("type")).toBe("password");

    // Both are required: the browser holds the form back.
    await user.click(within(dialog).getByRole("button", { name: "Create user" }));
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.type(name, "ann");
    await user.type(password, "short");
    await user.click(within(dialog).getByRole("button", { name: "Create user" }));
    await within(dialog).findByText("a user named ann already exists");
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(password.getAttribute("aria-invalid")).toBeNull();

    await user.clear(name);
    await user.type(name, "bob");
    await user.click(within(dialog).getByRole("button", { name: "Create user" }));
    await within(dialog).findByText("password must be at least 8 characters");
    expect(password.getAttribute("aria-invalid")).toBe("true");
    expect(name.getAttribute("aria-invalid")).toBeNull();
    const describedBy = password.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy.split(" ").at(-1) ?? "")?.textContent).toBe("password must be at least 8 characters");

    await user.clear(password);
    // A password is sent as typed, spaces and all.
    await user.type(password, " long enough ");
    await user.click(within(dialog).getByLabelText("Administrator"));
    await user.click(within(dialog).getByRole("button", { name: "Create user" }));

    expect(await screen.findByRole("heading", { name: "user 9" })).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { name: "ann", password: "short", is_admin: false, enabled: true },
      { name: "bob", password: "short", is_admin: false, enabled: true },
      { name: "bob", password: " long enough ", is_admin: true, enabled: true },
    ]);
  });

  it("deletes a user only after confirmation", async () => {
    let users = [ann];
    const calls = mockGateway({
      "GET /admin/users": () => json(200, { data: users, next_cursor: null }),
      "DELETE /admin/users/2": () => {
        users = [];
        return new Response(null, { status: 204 });
      },
    });
    const user = userEvent.setup();
    renderUsers();
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete this user?" });
    expect(within(dialog).getByText(/ann and all of their keys/)).toBeTruthy();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/admin/users/2"]);
  });
});
