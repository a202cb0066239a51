import { screen, within } from "@testing-library/react";
import { Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { LogDetail } from "./LogDetail";

const users = { data: [{ id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" }], next_cursor: null };
const attempt = {
  id: "a1",
  time: "2026-11-30T10:00:00Z",
  provider: "openai",
  credential_id: "7",
  method: "POST",
  url: "https://api.openai.com/v1/chat/completions",
  status: 500,
  latency_ms: 300,
  error: "upstream answered 500",
  request_headers: { authorization: "Bearer ***" },
  request_body: '{"model":"gpt-4.1","stream":true}',
  response_headers: {},
  response_body: '{"error":{"message":"boom"}}',
};
const sse = 'data: {"id":"c1","choices":[]}\n\ndata: [DONE]\n\n';
const log = {
  id: "11",
  request_id: "req-abc",
  time: "2026-11-30T10:00:00Z",
  user_id: "2",
  key_id: "5",
  method: "POST",
  path: "/openai/v1/chat/completions",
  status: 200,
  latency_ms: 850,
  request_headers: { "content-type": "application/json", "x-trace": ["a", "b"] },
  request_body: '{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}',
  response_headers: { "content-type": "text/event-stream" },
  response_body: sse,
  upstream: [
    attempt,
    { ...attempt, id: "a2", provider: "backup", credential_id: null, status: 200, error: null, response_body: sse, response_headers: null },
  ],
};

function renderDetail(requestId: string) {
  return renderPage(
    <Routes>
      <Route path="/logs/:requestId" element={<LogDetail />} />
    </Routes>,
    `/logs/${encodeURIComponent(requestId)}`,
  );
}

/** The code block following the level-3 heading `title` inside `scope`. */
function block(scope: HTMLElement, title: string, index = 0): Element | null {
  return within(scope).getAllByRole("heading", { level: 3, name: title })[index].nextElementSibling;
}

describe("log detail", () => {
  it("shows the downstream side beside the upstream attempts, bodies pretty-printed", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/logs/req-abc": () => json(200, log),
    });
    renderDetail("req-abc");

    const down = await screen.findByRole("region", { name: "Downstream (client ↔ gateway)" });
    const up = screen.getByRole("region", { name: "Upstream (gateway ↔ provider)" });
    expect(down.parentElement).toBe(up.parentElement);
    expect(screen.getByRole("link", { name: /Request logs/ }).getAttribute("href")).toBe("/logs");
    expect(calls.filter((c) => c.url.startsWith("/admin/logs")).map((c) => c.url)).toEqual(["/admin/logs/req-abc"]);

    // The facts: id, user by name, key, latency, number of attempts.
    const facts = document.querySelector("dl.facts") as HTMLElement;
    const fact = (term: string) => within(facts).getByText(term).nextElementSibling?.textContent;
    expect(fact("Request ID")).toBe("req-abc");
    expect(await within(facts).findByText("ann")).toBeTruthy();
    expect(fact("Key")).toBe("#5");
    expect(fact("Latency")).toBe("850 ms");
    expect(fact("Upstream attempts")).toBe("2");

    // Downstream: the client's call, its headers and both bodies.
    expect(within(down).getByText("POST /openai/v1/chat/completions")).toBeTruthy();
    expect(within(block(down, "Request headers") as HTMLElement).getByText("x-trace").nextElementSibling?.textContent).toBe('["a","b"]');
    const requestBody = block(down, "Request body")!;
    expect(requestBody.getAttribute("data-kind")).toBe("json");
    expect(requestBody.textContent).toBe(JSON.stringify(JSON.parse(log.request_body), null, 2));
    const responseBody = block(down, "Response body")!;
    expect(responseBody.getAttribute("data-kind")).toBe("sse");
    expect(responseBody.textContent).toBe('data: {\n  "id": "c1",\n  "choices": []\n}\n\ndata: [DONE]');

    // Upstream: every attempt, the last one open; the failed one with its error.
    const attempts = up.querySelectorAll("details");
    expect(attempts).toHaveLength(2);
    expect([...attempts].map((d) => d.open)).toEqual([false, true]);
    const first = attempts[0] as HTMLElement;
    expect(first.querySelector("summary")?.textContent).toBe("Attempt 1 · openai · 500 · 300 ms");
    expect(within(first).getByText("POST https://api.openai.com/v1/chat/completions")).toBeTruthy();
    expect(within(first).getByText(/credential #7/)).toBeTruthy();
    expect(within(first).getByText("Error: upstream answered 500")).toBeTruthy();
    expect(within(block(first, "Request headers") as HTMLElement).getByText("Bearer ***")).toBeTruthy();
    expect(block(first, "Request body")?.textContent).toBe('{\n  "model": "gpt-4.1",\n  "stream": true\n}');
    expect(block(first, "Response headers")?.textContent).toBe("None");
    expect(block(first, "Response body")?.textContent).toBe('{\n  "error": {\n    "message": "boom"\n  }\n}');
    const second = attempts[1] as HTMLElement;
    expect(second.querySelector("summary")?.textContent).toBe("Attempt 2 · backup · 200 · 300 ms");
    expect(within(second).queryByText(/credential #/)).toBeNull();
    expect(within(second).queryByText(/^Error:/)).toBeNull();
    expect(block(second, "Response body")?.getAttribute("data-kind")).toBe("sse");
  });

  it("says when bodies were not captured and the request never went upstream", async () => {
    mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/logs/req-denied": () =>
        json(200, {
          ...log,
          request_id: "req-denied",
          user_id: null,
          key_id: null,
          status: 403,
          request_headers: null,
          request_body: null,
          response_body: "",
          upstream: [],
        }),
    });
    renderDetail("req-denied");
    const down = await screen.findByRole("region", { name: "Downstream (client ↔ gateway)" });
    expect(block(down, "Request headers")?.textContent).toBe("None");
    expect(block(down, "Request body")?.textContent).toBe("Not captured.");
    expect(block(down, "Response body")?.textContent).toBe("Empty.");
    const up = screen.getByRole("region", { name: "Upstream (gateway ↔ provider)" });
    expect(within(up).getByText("The request was not sent upstream.")).toBeTruthy();
    expect(up.querySelector("details")).toBeNull();
    expect(within(down).getByText("403")).toBeTruthy();
  });

  it("says when no such request is logged", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/logs/req%2Fgone": () => json(404, { error: "no such request" }),
    });
    renderDetail("req/gone");
    expect((await screen.findByRole("alert")).textContent).toBe("No request req/gone is logged.");
    expect(screen.getByRole("heading", { level: 1, name: "Request" })).toBeTruthy();
    expect(calls.some((c) => c.url === "/admin/logs/req%2Fgone")).toBe(true);
  });
});
