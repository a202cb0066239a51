import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Route, Routes, useLocation, useParams } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../../test/fetch";
import { renderPage } from "../../test/render";
import { Logs } from "./Logs";

const users = { data: [{ id: "2", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" }], next_cursor: null };
const entry = (id: string, request_id: string, status: number) => ({
  id,
  time: "2026-11-30T10:00:00Z",
  user_id: "2",
  key_id: "5",
  method: "POST",
  path: "/openai/v1/chat/completions",
  status,
  latency_ms: 1250,
  request_id,
});
const query = (url: string) => Object.fromEntries(new URL(url, "http://x").searchParams);
const listed = (calls: { url: string }[]) => calls.filter((c) => c.url.startsWith("/admin/logs")).map((c) => query(c.url));

function Detail() {
  const { requestId } = useParams();
  return <h1>request {requestId}</h1>;
}

function Where() {
  const location = useLocation();
  return <output aria-label="location">{location.search}</output>;
}

function renderLogs(path: string) {
  return renderPage(
    <>
      <Routes>
        <Route path="/logs" element={<Logs />} />
        <Route path="/logs/:requestId" element={<Detail />} />
      </Routes>
      <Where />
    </>,
    path,
  );
}

describe("request logs", () => {
  it("lists the requests of the URL's filters, applies new ones and clears them", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/logs": () => json(200, { data: [entry("1", "req-abc", 429)], next_cursor: null }),
    });
    const user = userEvent.setup();
    renderLogs("/logs?status=429");

    const link = await screen.findByRole("link", { name: "req-abc" });
    expect(link.getAttribute("href")).toBe("/logs/req-abc");
    const row = link.closest("tr")!;
    expect(within(row).getByText("POST /openai/v1/chat/completions")).toBeTruthy();
    expect(within(row).getByText("429")).toBeTruthy();
    expect(within(row).getByText("1.25 s")).toBeTruthy();
    expect(await within(row).findByText("ann")).toBeTruthy();
    expect(listed(calls)[0]).toEqual({ status: "429" });
    expect((screen.getByLabelText("Status") as HTMLInputElement).value).toBe("429");

    await user.selectOptions(screen.getByLabelText("User"), "ann");
    const status = screen.getByLabelText("Status");
    await user.clear(status);
    await user.type(status, "500");
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-11-30T08:00" } });
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await vi.waitFor(() => expect(listed(calls)).toHaveLength(2));
    expect(listed(calls)[1]).toEqual({ user_id: "2", status: "500", from: new Date("2026-11-30T08:00").toISOString() });
    expect(screen.getByLabelText("location").textContent).toBe("?user_id=2&status=500&from=2026-11-30T08%3A00");

    // A status that is no HTTP status is held back by the browser.
    await user.clear(screen.getByLabelText("Status"));
    await user.type(screen.getByLabelText("Status"), "abc");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByLabelText("location").textContent).toBe("?user_id=2&status=500&from=2026-11-30T08%3A00");

    await user.click(screen.getByRole("button", { name: "Clear" }));
    await vi.waitFor(() => expect(listed(calls)).toHaveLength(3));
    expect(listed(calls)[2]).toEqual({});
    expect((screen.getByLabelText("Status") as HTMLInputElement).value).toBe("");
  });

  it("pages through the logs with the server's cursor, keeping the filters", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/logs": (call) =>
        call.url.includes("cursor=c1")
          ? json(200, { data: [entry("2", "req-old", 200)], next_cursor: null })
          : json(200, { data: [entry("1", "req-new", 200)], next_cursor: "c1" }),
    });
    const user = userEvent.setup();
    renderLogs("/logs?status=200");
    await screen.findByRole("link", { name: "req-new" });
    await user.click(screen.getByRole("button", { name: /Next/ }));
    expect(await screen.findByRole("link", { name: "req-old" })).toBeTruthy();
    expect(screen.queryByRole("link", { name: "req-new" })).toBeNull();
    expect(screen.getByText("Page 2")).toBeTruthy();
    expect(listed(calls)).toEqual([{ status: "200" }, { status: "200", cursor: "c1" }]);
  });

  it("opens a request by its id whatever the filters say", async () => {
    const calls = mockGateway({
      "GET /admin/users": () => json(200, users),
      "GET /admin/logs": () => json(200, { data: [], next_cursor: null }),
    });
    const user = userEvent.setup();
    renderLogs("/logs?from=2026-11-30T08:00&to=2026-11-30T09:00&status=500");
    expect(await screen.findByText("Nothing here yet.")).toBeTruthy();

    const lookup = screen.getByRole("search", { name: "Find a request" });
    // An empty id opens nothing.
    await user.click(within(lookup).getByRole("button", { name: "Open" }));
    expect(screen.getByRole("heading", { level: 1, name: "Request logs" })).toBeTruthy();

    await user.type(within(lookup).getByLabelText("Request ID"), "  req-from/header ");
    await user.click(within(lookup).getByRole("button", { name: "Open" }));
    expect(await screen.findByRole("heading", { name: "request req-from/header" })).toBeTruthy();
    expect(screen.getByLabelText("location").textContent).toBe("");
    // The list was asked once, with the filters; the lookup did not go through it.
    expect(listed(calls)).toHaveLength(1);
  });

  it("keeps a user filter from the URL, shown by name once the users load, when other filters change", async () => {
    let loadUsers: (r: Response) => void = () => {};
    const calls = mockGateway({
      "GET /admin/users": () => new Promise<Response>((resolve) => (loadUsers = resolve)),
      "GET /admin/logs": () => json(200, { data: [], next_cursor: null }),
    });
    const user = userEvent.setup();
    renderLogs("/logs?user_id=2");
    const select = (await screen.findByLabelText("User")) as HTMLSelectElement;
    expect(select.value).toBe("2");
    loadUsers(json(200, users));
    await vi.waitFor(() => expect((screen.getByLabelText("User") as HTMLSelectElement).selectedOptions[0].textContent).toBe("ann"));
    await user.type(screen.getByLabelText("Status"), "500");
    await user.click(screen.getByRole("button", { name: "Apply" }));
    await vi.waitFor(() => expect(listed(calls)).toHaveLength(2));
    expect(listed(calls)[1]).toEqual({ user_id: "2", status: "500" });
  });
});
