import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { CredentialTest } from "./CredentialTest";

const result = {
  ok: true,
  credential_id: "7",
  provider: "openai-main",
  model: "gpt-4.1",
  protocol: "openai",
  status: 200,
  latency_ms: 850,
  answer: "OK",
  input_tokens: 12,
  output_tokens: 1,
  error: null,
};

describe("test this credential", () => {
  it("sends the probe with the model given, or none, and shows the answer", async () => {
    const calls = mockGateway({ "POST /admin/credentials/7/test": () => json(200, result) });
    const user = userEvent.setup();
    renderPage(<CredentialTest id="7" name="primary" />, "/providers/1");
    await user.click(screen.getByRole("button", { name: "Test" }));
    const dialog = screen.getByRole("dialog", { name: "Test primary" });
    await user.click(within(dialog).getByRole("button", { name: "Send test request" }));
    const shown = await within(dialog).findByRole("region", { name: "Test result" });
    expect(within(shown).getByText("Works")).toBeTruthy();
    expect(within(shown).getByText("OK")).toBeTruthy();
    expect(shown.textContent).toContain("gpt-4.1 · HTTP 200");
    expect(shown.textContent).toContain("12 input tokens, 1 output tokens");

    await user.type(within(dialog).getByLabelText("Model"), "gpt-4.1-mini");
    await user.click(within(dialog).getByRole("button", { name: "Send test request" }));
    await within(dialog).findByRole("region", { name: "Test result" });
    expect(calls.map((c) => c.body)).toEqual([{}, { model: "gpt-4.1-mini" }]);
  });

  it("shows the upstream's refusal, and the API's error next to the model field", async () => {
    let answer = () =>
      json(200, { ...result, ok: false, status: 401, answer: null, output_tokens: 0, error: "Incorrect API key provided" });
    mockGateway({ "POST /admin/credentials/7/test": () => answer() });
    const user = userEvent.setup();
    renderPage(<CredentialTest id="7" name="primary" />, "/providers/1");
    await user.click(screen.getByRole("button", { name: "Test" }));
    const dialog = screen.getByRole("dialog");
    await user.click(within(dialog).getByRole("button", { name: "Send test request" }));
    const shown = await within(dialog).findByRole("region", { name: "Test result" });
    expect(within(shown).getByText("Failed")).toBeTruthy();
    expect(within(shown).getByText("Incorrect API key provided")).toBeTruthy();
    expect(shown.textContent).toContain("HTTP 401");

    answer = () => json(400, { error: "provider `gone` has no enabled model: name the model to ask", field: "model" });
    await user.click(within(dialog).getByRole("button", { name: "Send test request" }));
    expect(await within(dialog).findByText(/has no enabled model/)).toBeTruthy();
    expect(within(dialog).getByLabelText("Model").getAttribute("aria-invalid")).toBe("true");
    expect(within(dialog).queryByRole("region", { name: "Test result" })).toBeNull();
  });
});
