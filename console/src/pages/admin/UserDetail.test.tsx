import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { UserDetail } from "./UserDetail";

const ann = { id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" };
const masked = { id: "5", user_id: "2", label: "ci" as string | null, enabled: true, api_key: "sk-…abcd", expires_at: null };

function renderDetail() {
  return renderPage(
    <Routes>
      <Route path="/users/:id" element={<UserDetail />} />
      <Route path="/users" element={<h1>all users</h1>} />
    </Routes>,
    "/users/2",
  );
}

describe("user detail", () => {
  it("saves the account, sending a password only when one is typed", async () => {
    let current = ann;
    const calls = mockGateway({
      "GET /admin/users/2": () => json(200, current),
      "GET /admin/users/2/keys": () => json(200, { data: [], next_cursor: null }),
      "PATCH /admin/users/2": (call) => {
        const { password: _, ...rest } = call.body as { password?: string };
        current = { ...current, ...rest };
        return json(200, current);
      },
    });
    const user = userEvent.setup();
    renderDetail();

    expect(await screen.findByRole("heading", { level: 1, name: "ann" })).toBeTruthy();
    const account = screen.getByRole("region", { name: "Account" });
    expect((within(account).getByLabelText("Name") as HTMLInputElement).value).toBe("ann");
    expect((within(account).getByLabelText("Administrator") as HTMLInputElement).checked).toBe(false);
    expect((within(account).getByLabelText("Enabled") as HTMLInputElement).checked).toBe(true);

    const before = account.querySelector("form");
    await user.click(within(account).getByLabelText("Administrator"));
    await user.click(within(account).getByRole("button", { name: "Save" }));
    expect(await within(account).findByText("Saved")).toBeTruthy();
    // The form shows the stored values once the user is read again.
    await vi.waitFor(() => expect(account.querySelector("form")).not.toBe(before));
    expect((within(account).getByLabelText("Administrator") as HTMLInputElement).checked).toBe(true);

    const password = within(account).getByLabelText("New password") as HTMLInputElement;
    await user.type(password, "n3w-secret");
    await user.click(within(account).getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(calls.filter((c) => c.method === "PATCH")).toHaveLength(2));
    await vi.waitFor(() => expect(password.value).toBe(""));

    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([
      { name: "ann", is_admin: true, enabled: true },
      { name: "ann", is_admin: true, enabled: true, password: "n3w-secret" },
    ]);
  });

  it("shows the gateway's error next to the name", async () => {
    mockGateway({
      "GET /admin/users/2": () => json(200, ann),
      "GET /admin/users/2/keys": () => json(200, { data: [], next_cursor: null }),
      "PATCH /admin/users/2": () => json(409, { error: "a user named bob already exists", field: "name" }),
    });
    const user = userEvent.setup();
    renderDetail();
    const name = await screen.findByLabelText("Name");
    await user.clear(name);
    await user.type(name, "bob");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("a user named bob already exists")).toBeTruthy();
    expect(name.getAttribute("aria-invalid")).toBe("true");
    expect(screen.queryByText("Saved")).toBeNull();
  });

  it("creates a key for the user, shown in full once with a copy button", async () => {
    let keys = [masked];
    const calls = mockGateway({
      "GET /admin/users/2": () => json(200, ann),
      "GET /admin/users/2/keys": () => json(200, { data: keys, next_cursor: null }),
      "POST /admin/users/2/keys": () => {
        keys = [{ ...masked, id: "6", label: null, api_key: "sk-…7e11" }, ...keys];
        return json(201, { ...masked, id: "6", label: null, api_key: "sk-gp-brand-new-7e11" });
      },
    });
    const user = userEvent.setup();
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    renderDetail();

    const keysSection = await screen.findByRole("region", { name: "API keys" });
    expect(await within(keysSection).findByText("sk-…abcd")).toBeTruthy();
    await user.click(within(keysSection).getByRole("button", { name: "New key" }));
    const dialog = screen.getByRole("dialog", { name: "New key" });
    await user.click(within(dialog).getByRole("button", { name: "Create key" }));

    expect(await within(dialog).findByRole("heading", { name: "Your new key" })).toBeTruthy();
    expect(within(dialog).getByTestId("created-key").textContent).toBe("sk-gp-brand-new-7e11");
    expect(within(dialog).getByText(/shown only this once/)).toBeTruthy();
    await user.click(within(dialog).getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith("sk-gp-brand-new-7e11");
    expect(within(dialog).getByRole("status").textContent).toBe("Copied");
    expect(calls.filter((c) => c.method === "POST").map((c) => [c.url, c.body])).toEqual([
      ["/admin/users/2/keys", { label: null, expires_at: null }],
    ]);

    await user.click(within(dialog).getByRole("button", { name: "Done" }));
    expect(screen.queryByText("sk-gp-brand-new-7e11")).toBeNull();
    expect(await within(keysSection).findByText("sk-…7e11")).toBeTruthy();
  });

  it("deletes the user after confirmation and returns to the list", async () => {
    const calls = mockGateway({
      "GET /admin/users/2": () => json(200, ann),
      "GET /admin/users/2/keys": () => json(200, { data: [], next_cursor: null }),
      "DELETE /admin/users/2": () => new Response(null, { status: 204 }),
    });
    const user = userEvent.setup();
    renderDetail();
    await user.click(await screen.findByRole("button", { name: "Delete user" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(screen.getByRole("dialog", { name: "Delete this user?" })).getByRole("button", { name: "Delete" }));
    expect(await screen.findByRole("heading", { name: "all users" })).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/admin/users/2"]);
  });
});
