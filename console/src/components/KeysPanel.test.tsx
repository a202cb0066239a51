import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { I18nProvider } from "../i18n";
import { json, mockGateway } from "../test/fetch";
import { KeysPanel } from "./KeysPanel";

const masked = { id: "5", user_id: "2", label: "ci", enabled: true, api_key: "sk-…abcd", expires_at: null };

describe("keys", () => {
  it("shows a new key in full once, with a copy button, then only masked", async () => {
    let keys = [masked];
    const calls = mockGateway({
      "GET /admin/users/2/keys": () => json(200, { data: keys, next_cursor: null }),
      "POST /admin/users/2/keys": () => {
        keys = [{ ...masked, id: "6", label: "laptop", api_key: "sk-…9f00" }, ...keys];
        return json(201, { ...masked, id: "6", label: "laptop", api_key: "sk-gp-full-secret-9f00" });
      },
    });
    const user = userEvent.setup();
    // After setup(), which installs its own clipboard.
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    render(
      <I18nProvider locale="en">
        <KeysPanel scope={{ kind: "admin", userId: "2" }} />
      </I18nProvider>,
    );
    expect(await screen.findByText("sk-…abcd")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "New key" }));
    const dialog = screen.getByRole("dialog");
    await user.type(within(dialog).getByLabelText("Label"), "laptop");
    await user.click(within(dialog).getByRole("button", { name: "Create key" }));

    expect((await within(dialog).findByTestId("created-key")).textContent).toBe("sk-gp-full-secret-9f00");
    expect(within(dialog).getByText(/shown only this once/)).toBeTruthy();
    await user.click(within(dialog).getByRole("button", { name: "Copy" }));
    expect(writeText).toHaveBeenCalledWith("sk-gp-full-secret-9f00");
    expect(within(dialog).getByText("Copied")).toBeTruthy();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ label: "laptop", expires_at: null });

    await user.click(within(dialog).getByRole("button", { name: "Done" }));
    expect(screen.queryByText("sk-gp-full-secret-9f00")).toBeNull();
    expect(await screen.findByText("sk-…9f00")).toBeTruthy();
  });

  it("shows the gateway's error next to the field it names", async () => {
    mockGateway({
      "GET /user/keys": () => json(200, { data: [], next_cursor: null }),
      "POST /user/keys": () => json(400, { error: "label must be 1 to 64 characters", field: "label" }),
    });
    const user = userEvent.setup();
    render(
      <I18nProvider locale="en">
        <KeysPanel scope={{ kind: "own" }} />
      </I18nProvider>,
    );
    await user.click(await screen.findByRole("button", { name: "New key" }));
    const dialog = screen.getByRole("dialog");
    await user.type(within(dialog).getByLabelText("Label"), "x");
    await user.click(within(dialog).getByRole("button", { name: "Create key" }));
    const label = await within(dialog).findByLabelText("Label");
    await within(dialog).findByText("label must be 1 to 64 characters");
    expect(label.getAttribute("aria-invalid")).toBe("true");
    const describedBy = label.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(describedBy.split(" ").at(-1) ?? "")?.textContent).toBe("label must be 1 to 64 characters");
  });

  it("deletes a key only after confirmation", async () => {
    let keys = [masked];
    const calls = mockGateway({
      "GET /user/keys": () => json(200, { data: keys, next_cursor: null }),
      "DELETE /user/keys/5": () => {
        keys = [];
        return new Response(null, { status: 204 });
      },
    });
    const user = userEvent.setup();
    render(
      <I18nProvider locale="en">
        <KeysPanel scope={{ kind: "own" }} />
      </I18nProvider>,
    );
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/user/keys/5"]);
  });
});
