import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../api/client";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { Models } from "./Models";

const providers = {
  data: [
    { id: "1", name: "openai", channel: "openai", settings: {}, created_at: "2026-01-01T00:00:00Z" },
    { id: "2", name: "claude", channel: "anthropic", settings: {}, created_at: "2026-01-01T00:00:00Z" },
  ],
  next_cursor: null,
};
const mini: Schemas["ModelView"] = {
  id: "5",
  provider: "openai",
  provider_id: "1",
  model_id: "gpt-4.1-mini",
  display_name: "GPT-4.1 mini",
  enabled: true,
  price_input_per_mtok: "0.4",
  price_output_per_mtok: "1.6",
  price_cache_read_per_mtok: "0.000000001",
  price_cache_write_per_mtok: null,
  price_each_call: null,
};
const noPrices = {
  price_input_per_mtok: null,
  price_output_per_mtok: null,
  price_cache_read_per_mtok: null,
  price_cache_write_per_mtok: null,
  price_each_call: null,
};
const query = (url: string) => Object.fromEntries(new URL(url, "http://x").searchParams);

describe("models and prices", () => {
  it("lists the models of the provider in the URL with exact prices, no price as none", async () => {
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/models": () => json(200, { data: [mini], next_cursor: null }),
    });
    renderPage(<Models />, "/models?provider=openai");
    const row = (await screen.findByText("gpt-4.1-mini")).closest("tr")!;
    expect(
      within(row)
        .getAllByRole("cell")
        .slice(2, 7)
        .map((c) => c.textContent),
    ).toEqual(["$0.40", "$1.60", "$0.000000001", "—", "—"]);
    expect(within(row).getByText("GPT-4.1 mini")).toBeTruthy();
    expect(query(calls.find((c) => c.url.startsWith("/admin/models"))!.url)).toEqual({ provider: "openai" });
    await screen.findByRole("option", { name: "claude" });
    expect((screen.getByRole("combobox", { name: "Provider" }) as HTMLSelectElement).value).toBe("openai");
  });

  it("creates a model under the chosen provider, prices sent as the decimal strings typed", async () => {
    let models: Schemas["ModelView"][] = [];
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/models": () => json(200, { data: models, next_cursor: null }),
      "POST /admin/providers/2/models": (call) => {
        const body = call.body as Record<string, string | null>;
        if (body.price_output_per_mtok === ".") return json(400, { error: "price_output_per_mtok is not a decimal number", field: "price_output_per_mtok" });
        models = [{ ...mini, ...noPrices, ...(call.body as object), id: "6", provider: "claude", provider_id: "2" }];
        return json(201, models[0]);
      },
    });
    const user = userEvent.setup();
    renderPage(<Models />, "/models?provider=claude");
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();
    await screen.findByRole("option", { name: "claude" });

    await user.click(screen.getByRole("button", { name: "New model" }));
    const dialog = screen.getByRole("dialog", { name: "New model" });
    // The provider of the filter is chosen already.
    expect((within(dialog).getByLabelText("Provider") as HTMLSelectElement).value).toBe("2");
    await user.type(within(dialog).getByLabelText("Model ID"), "claude-haiku");
    const input = within(dialog).getByLabelText("Input / 1M tokens") as HTMLInputElement;
    const output = within(dialog).getByLabelText("Output / 1M tokens") as HTMLInputElement;

    // Not a decimal: the browser holds the form back.
    await user.type(input, "1,5");
    await user.click(within(dialog).getByRole("button", { name: "Create model" }));
    expect(input.validity.patternMismatch).toBe(true);
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.clear(input);
    await user.type(input, "0.80");
    await user.type(output, ".");
    await user.click(within(dialog).getByRole("button", { name: "Create model" }));
    await within(dialog).findByText("price_output_per_mtok is not a decimal number");
    expect(output.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-invalid")).toBeNull();

    await user.clear(output);
    await user.type(output, "4.000000001");
    await user.type(within(dialog).getByLabelText("Per call"), "0");
    await user.click(within(dialog).getByRole("button", { name: "Create model" }));

    const row = (await screen.findByText("claude-haiku")).closest("tr")!;
    expect(within(row).getByText("$4.000000001")).toBeTruthy();
    expect(within(row).getByText("$0.00")).toBeTruthy();
    expect(calls.filter((c) => c.method === "POST").map((c) => c.body)).toEqual([
      { model_id: "claude-haiku", display_name: null, enabled: true, ...noPrices, price_input_per_mtok: "0.80", price_output_per_mtok: "." },
      {
        model_id: "claude-haiku",
        display_name: null,
        enabled: true,
        ...noPrices,
        price_input_per_mtok: "0.80",
        price_output_per_mtok: "4.000000001",
        price_each_call: "0",
      },
    ]);
  });

  it("needs a provider for a new model", async () => {
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/models": () => json(200, { data: [], next_cursor: null }),
    });
    const user = userEvent.setup();
    renderPage(<Models />, "/models");
    await screen.findByRole("option", { name: "claude" });
    await user.click(screen.getByRole("button", { name: "New model" }));
    const dialog = screen.getByRole("dialog", { name: "New model" });
    const provider = within(dialog).getByLabelText("Provider") as HTMLSelectElement;
    expect(provider.value).toBe("");
    expect(within(provider).getAllByRole("option").map((o) => o.textContent)).toEqual(["Choose a provider", "openai (openai)", "claude (anthropic)"]);
    await user.type(within(dialog).getByLabelText("Model ID"), "gpt-5");
    await user.click(within(dialog).getByRole("button", { name: "Create model" }));
    expect(provider.validity.valueMissing).toBe(true);
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("edits a model's prices, an emptied price sent as null to clear it", async () => {
    let current = mini;
    const calls = mockGateway({
      "GET /admin/providers": () => json(200, providers),
      "GET /admin/models": () => json(200, { data: [current], next_cursor: null }),
      "PATCH /admin/models/5": (call) => {
        current = { ...current, ...(call.body as object) };
        return json(200, current);
      },
    });
    const user = userEvent.setup();
    renderPage(<Models />, "/models");
    await user.click(await screen.findByRole("button", { name: "Edit" }));
    const dialog = screen.getByRole("dialog", { name: "Edit openai/gpt-4.1-mini" });
    const cacheRead = within(dialog).getByLabelText("Cache read / 1M") as HTMLInputElement;
    expect(cacheRead.value).toBe("0.000000001");
    await user.clear(cacheRead);
    const input = within(dialog).getByLabelText("Input / 1M tokens");
    await user.clear(input);
    await user.type(input, "0.35");
    await user.clear(within(dialog).getByLabelText("Display name"));
    await user.click(within(dialog).getByRole("button", { name: "Save" }));

    expect(await screen.findByText("$0.35")).toBeTruthy();
    expect(screen.queryByText("$0.000000001")).toBeNull();
    expect(calls.filter((c) => c.method === "PATCH").map((c) => c.body)).toEqual([
      {
        model_id: "gpt-4.1-mini",
        display_name: null,
        enabled: true,
        price_input_per_mtok: "0.35",
        price_output_per_mtok: "1.6",
        price_cache_read_per_mtok: null,
        price_cache_write_per_mtok: null,
        price_each_call: null,
      },
    ]);

    // Disabling from the row sends only the flag.
    await user.click(screen.getByRole("button", { name: "Disable" }));
    await vi.waitFor(() => expect(calls.filter((c) => c.method === "PATCH").at(-1)?.body).toEqual({ enabled: false }));
    expect(await screen.findByText("Disabled")).toBeTruthy();
  });
});
