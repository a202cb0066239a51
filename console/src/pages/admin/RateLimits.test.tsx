import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { ceilings, RateLimits } from "./RateLimits";

const users = {
  data: [
    { id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" },
    { id: "3", name: "bob", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" },
  ],
  next_cursor: null,
};
const limit = { id: "6", user_id: "2", model_pattern: "gpt-*", rpm: 60, rpd: null, tpm: 100000, tpd: null };

/** The text of the error a field is described by. */
const errorOf = (input: HTMLElement) =>
  document.getElementById((input.getAttribute("aria-describedby") ?? "").split(" ").at(-1) ?? "")?.textContent;

describe("rate limits", () => {
  it("lists the limits of the user in the URL, an empty ceiling as none", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/rate-limits": () => json(200, { data: [limit], next_cursor: null }),
    });
    renderPage(<RateLimits />, "/rate-limits?user_id=2");
    const row = (await screen.findByText("gpt-*")).closest("tr")!;
    expect(await within(row).findByText("ann")).toBeTruthy();
    const cells = within(row)
      .getAllByRole("cell")
      .map((c) => c.textContent);
    expect(cells.slice(0, 6)).toEqual(["ann", "gpt-*", "60", "—", "100,000", "—"]);
    const listed = calls.find((c) => c.url.startsWith("/admin/rate-limits"))!;
    expect(new URL(listed.url, "http://x").searchParams.get("user_id")).toBe("2");
    expect((screen.getByRole("combobox", { name: "User" }) as HTMLSelectElement).value).toBe("2");
  });

  it("creates a limit with only the ceilings given, showing errors next to their field", async () => {
    let rows: (typeof limit)[] = [];
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/rate-limits": () => json(200, { data: rows, next_cursor: null }),
      "POST /admin/rate-limits": (call) => {
        const body = call.body as Omit<typeof limit, "id">;
        if ((body.tpd ?? 0) > 1e9) return json(400, { error: "tpd is too large", field: "tpd" });
        rows = [{ id: "7", ...body }];
        return json(201, rows[0]);
      },
    });
    const user = userEvent.setup();
    renderPage(<RateLimits />, "/rate-limits?user_id=3");
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();
    await screen.findByRole("option", { name: "bob" });

    await user.click(screen.getByRole("button", { name: "New rate limit" }));
    const dialog = screen.getByRole("dialog", { name: "New rate limit" });
    // The user of the filter is chosen already; the pattern defaults to every model.
    expect((within(dialog).getByLabelText("User") as HTMLSelectElement).value).toBe("3");
    const pattern = within(dialog).getByLabelText("Models") as HTMLInputElement;
    expect(pattern.value).toBe("*");
    const rpm = within(dialog).getByLabelText("Requests / min") as HTMLInputElement;
    const tpd = within(dialog).getByLabelText("Tokens / day");

    // Not a whole number: the browser holds the form back ...
    await user.type(rpm, "ten");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    expect(rpm.validity.patternMismatch).toBe(true);
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    // ... and a form sent regardless is stopped by the page, naming the field.
    fireEvent.submit(rpm.form!);
    await within(dialog).findByText("Enter a whole number of 0 or more, or leave it empty");
    expect(rpm.getAttribute("aria-invalid")).toBe("true");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.clear(rpm);
    await user.type(rpm, "30");
    await user.type(tpd, "9999999999");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    await within(dialog).findByText("tpd is too large");
    expect(tpd.getAttribute("aria-invalid")).toBe("true");
    expect(errorOf(tpd)).toBe("tpd is too large");
    expect(rpm.getAttribute("aria-invalid")).toBeNull();

    await user.clear(tpd);
    await user.clear(pattern);
    await user.type(pattern, "claude-*");
    await user.click(within(dialog).getByRole("button", { name: "Create" }));
    const row = (await screen.findByText("claude-*")).closest("tr")!;
    expect(within(row).getByText("bob")).toBeTruthy();
    expect(within(row).getByText("30")).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { user_id: "3", model_pattern: "*", rpm: 30, rpd: null, tpm: null, tpd: 9999999999 },
      { user_id: "3", model_pattern: "claude-*", rpm: 30, rpd: null, tpm: null, tpd: null },
    ]);
  });

  it("needs a user, and clears an emptied ceiling on an edit", async () => {
    let rows = [limit];
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/rate-limits": () => json(200, { data: rows, next_cursor: null }),
      "PATCH /admin/rate-limits/6": (call) => {
        rows = [{ ...limit, ...(call.body as object) }];
        return json(200, rows[0]);
      },
    });
    const user = userEvent.setup();
    renderPage(<RateLimits />, "/rate-limits");
    await screen.findByRole("option", { name: "ann" });

    await user.click(screen.getByRole("button", { name: "New rate limit" }));
    const create = screen.getByRole("dialog", { name: "New rate limit" });
    await user.click(within(create).getByRole("button", { name: "Create" }));
    expect((within(create).getByLabelText("User") as HTMLSelectElement).validity.valueMissing).toBe(true);
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    await user.click(within(create).getByRole("button", { name: "Cancel" }));

    await user.click(screen.getByRole("button", { name: "Edit" }));
    const edit = screen.getByRole("dialog", { name: "Edit rate limit" });
    const rpm = within(edit).getByLabelText("Requests / min") as HTMLInputElement;
    expect(rpm.value).toBe("60");
    await user.clear(rpm);
    await user.type(within(edit).getByLabelText("Requests / day"), "1000");
    await user.click(within(edit).getByRole("button", { name: "Save" }));

    expect(await screen.findByText("1,000")).toBeTruthy();
    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([
      { model_pattern: "gpt-*", rpm: null, rpd: 1000, tpm: 100000, tpd: null },
    ]);
  });

  it("reads the ceilings of a form", () => {
    const form = new FormData();
    form.set("rpm", " 5 ");
    form.set("tpm", "");
    expect(ceilings(form, "bad")).toEqual({ rpm: 5, rpd: null, tpm: null, tpd: null });
    form.set("rpd", "-1");
    expect(() => ceilings(form, "bad")).toThrow("bad");
  });
});
