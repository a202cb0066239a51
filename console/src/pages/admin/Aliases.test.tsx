import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { Aliases } from "./Aliases";

const providers = {
  data: [
    { id: "1", name: "openai", channel: "openai", settings: {}, created_at: "2026-01-01T00:00:00Z" },
    { id: "2", name: "claude", channel: "anthropic", settings: {}, created_at: "2026-01-01T00:00:00Z" },
  ],
  next_cursor: null,
};
const fast = { id: "7", alias: "fast", provider: "openai", model_id: "gpt-4.1-mini", enabled: true };
const query = (url: string) => new URL(url, "http://x").searchParams;

describe("aliases", () => {
  it("lists the aliases of the provider in the URL, and disables one", async () => {
    let current = fast;
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/aliases": () => json(200, { data: [current], next_cursor: null }),
      "PATCH /admin/aliases/7": (call) => {
        current = { ...current, ...(call.body as object) };
        return json(200, current);
      },
    });
    const user = userEvent.setup();
    renderPage(<Aliases />, "/aliases?provider=openai");

    const row = (await screen.findByText("fast")).closest("tr")!;
    expect(within(row).getByText("gpt-4.1-mini")).toBeTruthy();
    expect(within(row).getByText("openai")).toBeTruthy();
    expect(within(row).getByText("Enabled")).toBeTruthy();
    expect(query(calls.find((c) => c.url.startsWith("/admin/aliases"))!.url).get("provider")).toBe("openai");

    await user.click(within(row).getByRole("button", { name: "Disable" }));
    expect(await within(row).findByText("Disabled")).toBeTruthy();
    expect(calls.filter((c) => c.method === "PATCH").map((c) => [c.url, c.body])).toEqual([["/admin/aliases/7", { enabled: false }]]);

    // Choosing "All" drops the provider from the query.
    await screen.findByRole("option", { name: "claude" });
    await user.selectOptions(screen.getByRole("combobox", { name: "Provider" }), "");
    await vi.waitFor(() => expect(calls.filter((c) => c.url.startsWith("/admin/aliases")).at(-1)?.url).toBe("/admin/aliases"));
  });

  it("creates an alias, showing the gateway's 400 and 409 next to the field they name", async () => {
    let created: typeof fast[] = [];
    const answers = [
      json(400, { error: "model_id must not be empty", field: "model_id" }),
      json(409, { error: "an alias named fast already exists", field: "alias" }),
    ];
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/aliases": () => json(200, { data: created, next_cursor: null }),
      "POST /admin/aliases": (call) => {
        const answer = answers.shift();
        if (answer) return answer;
        created = [{ id: "8", ...(call.body as Omit<typeof fast, "id">) }];
        return json(201, created[0]);
      },
    });
    const user = userEvent.setup();
    renderPage(<Aliases />, "/aliases");
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "New alias" }));
    const dialog = screen.getByRole("dialog", { name: "New alias" });
    const alias = within(dialog).getByLabelText("Alias");
    const model = within(dialog).getByLabelText("Model ID");

    // The browser holds back a form without its required fields.
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    expect((alias as HTMLInputElement).validity.valueMissing).toBe(true);

    await user.type(alias, " fast ");
    await within(dialog).findByRole("option", { name: "claude" });
    await user.selectOptions(within(dialog).getByLabelText("Provider"), "claude");
    await user.type(model, " ");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    await within(dialog).findByText("model_id must not be empty");
    expect(model.getAttribute("aria-invalid")).toBe("true");
    expect(alias.getAttribute("aria-invalid")).toBeNull();
    expect(errorOf(model)).toBe("model_id must not be empty");

    await user.type(model, "claude-haiku");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    await within(dialog).findByText("an alias named fast already exists");
    expect(alias.getAttribute("aria-invalid")).toBe("true");
    expect(model.getAttribute("aria-invalid")).toBeNull();
    expect(errorOf(alias)).toBe("an alias named fast already exists");

    await user.clear(alias);
    await user.type(alias, "quick");
    await user.click(within(dialog).getByLabelText("Enabled"));
    await user.click(within(dialog).getByRole("button", { name: "Create" }));

    const row = (await screen.findByText("quick")).closest("tr")!;
    expect(within(row).getByText("claude-haiku")).toBeTruthy();
    expect(within(row).getByText("Disabled")).toBeTruthy();
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { alias: "fast", provider: "claude", model_id: "", enabled: true },
      { alias: "fast", provider: "claude", model_id: "claude-haiku", enabled: true },
      { alias: "quick", provider: "claude", model_id: "claude-haiku", enabled: false },
    ]);
  });

  it("deletes an alias only after confirmation", async () => {
    let aliases = [fast];
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/aliases": () => json(200, { data: aliases, next_cursor: null }),
      "DELETE /admin/aliases/7": () => {
        aliases = [];
        return new Response(null, { status: 204 });
      },
    });
    const user = userEvent.setup();
    renderPage(<Aliases />, "/aliases");
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    const dialog = screen.getByRole("dialog", { name: "Delete this alias?" });
    expect(within(dialog).getByText("Calls naming fast will no longer be resolved.")).toBeTruthy();
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);

    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/admin/aliases/7"]);
  });
});

/** The text of the error a field is described by. */
function errorOf(input: HTMLElement): string | null | undefined {
  const describedBy = input.getAttribute("aria-describedby") ?? "";
  return document.getElementById(describedBy.split(" ").at(-1) ?? "")?.textContent;
}
