import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { Audit } from "./Audit";

const update = {
  id: "31",
  time: "2026-11-30T10:00:00Z",
  actor: "admin",
  action: "update",
  resource: "provider",
  resource_id: "3",
  before: { name: "openai", settings: { base_url: "https://a" }, enabled: true },
  after: { name: "openai", settings: { base_url: "https://b" }, enabled: true },
};
const created = {
  id: "30",
  time: "2026-11-30T09:00:00Z",
  actor: "root",
  action: "create",
  resource: "user",
  resource_id: "2",
  before: null,
  after: { name: "ann", is_admin: false },
};
const older = { id: "12", time: "2026-11-01T09:00:00Z", actor: "admin", action: "delete", resource: "alias", resource_id: "7", before: "fast", after: null };

/** The rows of the open diff, each as [field, before, after]. */
const diff = (table: HTMLElement) =>
  within(table)
    .getAllByRole("row")
    .slice(1)
    .map((row) => [row.querySelector("th code")?.textContent, ...[...row.querySelectorAll("td")].map((td) => td.textContent)]);

describe("audit log", () => {
  it("shows each entry's before and after side by side, key by key, with the changed keys marked", async () => {
    const calls = mockGateway({ "GET /admin/audit": () => json(200, { data: [update, created], next_cursor: null }) });
    const user = userEvent.setup();
    renderPage(<Audit />, "/audit");

    const row = (await screen.findByText("provider")).closest("tr")!;
    expect(within(row).getByText("admin")).toBeTruthy();
    expect(within(row).getByText("update")).toBeTruthy();
    expect(within(row).getByText("#3")).toBeTruthy();
    expect(calls.map((c) => c.url)).toEqual(["/admin/audit"]);
    expect(screen.queryByRole("navigation", { name: "Pages" })).toBeNull();

    const show = within(row).getByRole("button", { name: "Show changes" });
    expect(show.getAttribute("aria-expanded")).toBe("false");
    await user.click(show);
    expect(show.getAttribute("aria-expanded")).toBe("true");
    expect(show.textContent).toBe("Hide changes");
    const detail = document.getElementById(show.getAttribute("aria-controls") ?? "")!;
    const table = within(detail).getByRole("table");
    expect(within(table).getAllByRole("columnheader").map((h) => h.textContent)).toEqual(["Field", "Before", "After"]);
    expect(diff(table)).toEqual([
      ["enabled", "true", "true"],
      ["name", '"openai"', '"openai"'],
      ["settings", '{\n  "base_url": "https://a"\n}', '{\n  "base_url": "https://b"\n}'],
    ]);
    const changed = within(table).getAllByRole("rowheader").filter((h) => h.textContent?.includes("(changed)"));
    expect(changed.map((h) => h.querySelector("code")?.textContent)).toEqual(["settings"]);

    // Opening another entry closes the first; a creation has nothing before.
    const second = screen.getByText("user").closest("tr")!;
    await user.click(within(second).getByRole("button", { name: "Show changes" }));
    expect(document.getElementById(show.getAttribute("aria-controls") ?? "")).toBeNull();
    expect(show.textContent).toBe("Show changes");
    const createdTable = screen.getAllByRole("table")[1];
    expect(diff(createdTable)).toEqual([
      ["is_admin", "—", "false"],
      ["name", "—", '"ann"'],
    ]);

    await user.click(within(second).getByRole("button", { name: "Hide changes" }));
    expect(screen.getAllByRole("table")).toHaveLength(1);
  });

  it("pages through the log with the server's cursor", async () => {
    const calls = mockGateway({
      "GET /admin/audit": (call) =>
        new URL(call.url, "http://x").searchParams.get("cursor") === "c2"
          ? json(200, { data: [older], next_cursor: null })
          : json(200, { data: [update, created], next_cursor: "c2" }),
    });
    const user = userEvent.setup();
    renderPage(<Audit />, "/audit");
    await screen.findByText("provider");
    const pages = screen.getByRole("navigation", { name: "Pages" });
    expect(within(pages).getByText("Page 1")).toBeTruthy();
    expect((within(pages).getByRole("button", { name: /Previous/ }) as HTMLButtonElement).disabled).toBe(true);

    await user.click(within(pages).getByRole("button", { name: /Next/ }));
    const row = (await screen.findByText("alias")).closest("tr")!;
    expect(within(row).getByText("delete")).toBeTruthy();
    expect(screen.queryByText("provider")).toBeNull();
    expect(screen.getByText("Page 2")).toBeTruthy();
    expect((screen.getByRole("button", { name: /Next/ }) as HTMLButtonElement).disabled).toBe(true);
    await user.click(within(row).getByRole("button", { name: "Show changes" }));
    expect(diff(screen.getAllByRole("table")[1])).toEqual([["—", '"fast"', "—"]]);

    await user.click(screen.getByRole("button", { name: /Previous/ }));
    expect(await screen.findByText("provider")).toBeTruthy();
    expect(screen.getByText("Page 1")).toBeTruthy();
    expect(calls.map((c) => new URL(c.url, "http://x").searchParams.get("cursor"))).toEqual([null, "c2", null]);
  });
});
