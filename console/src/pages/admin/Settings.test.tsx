import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { fieldList, Settings } from "./Settings";

const settings = {
  enable_usage: true,
  enable_upstream_log: true,
  enable_upstream_log_body: false,
  enable_downstream_log: true,
  enable_downstream_log_body: false,
  mask_sensitive_info: true,
  mask_body_fields: ["api_key"],
  proxy: "http://user:***@proxy:3128",
};

describe("settings", () => {
  it("saves the toggles and the masked fields, leaving a masked proxy alone", async () => {
    const calls = mockGateway({
      "GET /admin/settings": () => json(200, settings),
      "PATCH /admin/settings": (call) => json(200, { ...settings, ...(call.body as object) }),
    });
    const user = userEvent.setup();
    renderPage(<Settings />, "/settings");
    const bodies = await screen.findByLabelText("Include client request and response bodies");
    expect((screen.getByLabelText("Record usage") as HTMLInputElement).checked).toBe(true);
    await user.click(bodies);
    const fields = screen.getByLabelText("Masked body fields");
    await user.type(fields, "\npassword, token");
    await user.click(screen.getByRole("button", { name: "Save" }));

    expect(await screen.findByText("Saved")).toBeTruthy();
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      enable_usage: true,
      enable_downstream_log: true,
      enable_downstream_log_body: true,
      enable_upstream_log: true,
      enable_upstream_log_body: false,
      mask_sensitive_info: true,
      mask_body_fields: ["api_key", "password", "token"],
    });
    expect((screen.getByLabelText("Include client request and response bodies") as HTMLInputElement).checked).toBe(true);
  });

  it("shows the gateway's error next to the proxy and sends null to clear it", async () => {
    const calls = mockGateway({
      "GET /admin/settings": () => json(200, settings),
      "PATCH /admin/settings": () => json(400, { error: "proxy must be an http, https or socks5 URL", field: "proxy" }),
    });
    const user = userEvent.setup();
    renderPage(<Settings />, "/settings");
    const proxy = await screen.findByLabelText("Outbound proxy");
    await user.clear(proxy);
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("proxy must be an http, https or socks5 URL")).toBeTruthy();
    expect(proxy.getAttribute("aria-invalid")).toBe("true");
    expect((calls.find((c) => c.method === "PATCH")?.body as { proxy: unknown }).proxy).toBeNull();
  });

  it("reads one masked field a line or comma", () => {
    expect(fieldList(" a \n\nb,c ,")).toEqual(["a", "b", "c"]);
  });
});
