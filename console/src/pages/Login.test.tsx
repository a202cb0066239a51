import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { App } from "../App";
import { SessionProvider } from "../auth/session";
import { I18nProvider } from "../i18n";
import { json, mockGateway } from "../test/fetch";

const admin = { id: "1", name: "admin", is_admin: true };
const emptyPage = () => json(200, { data: [], next_cursor: null });
const emptyTotals = {
  requests: 0,
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  cost_usd: "0",
};

function renderApp(path = "/") {
  return render(
    <I18nProvider locale="en">
      <SessionProvider>
        <MemoryRouter initialEntries={[path]}>
          <App />
        </MemoryRouter>
      </SessionProvider>
    </I18nProvider>,
  );
}

describe("login", () => {
  it("logs in with name and password, then shows the admin's pages", async () => {
    let signedIn = false;
    const calls = mockGateway({
      "GET /user/me": () => (signedIn ? json(200, admin) : json(401, { error: "no session" })),
      "POST /login": (call) => {
        const body = call.body as { name: string; password: string };
        if (body.name !== "admin" || body.password !== "s3cret") return json(401, { error: "invalid name or password" });
        signedIn = true;
        return json(200, { api_key: "sk-gp-x", user: admin });
      },
      "GET /admin/users": emptyPage,
      "GET /admin/usage/summary": () => json(200, { data: [], total: emptyTotals }),
    });
    const user = userEvent.setup();
    renderApp();

    await user.type(await screen.findByLabelText("User name"), "admin");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Wrong user name or password.");

    await user.clear(screen.getByLabelText("Password"));
    await user.type(screen.getByLabelText("Password"), "s3cret");
    await user.click(screen.getByRole("button", { name: "Log in" }));

    // An admin lands on the overview.
    expect(await screen.findByRole("heading", { level: 1, name: "Overview" })).toBeTruthy();
    const nav = screen.getByRole("navigation", { name: "Main" });
    for (const page of [
      "Overview",
      "Users & keys",
      "Providers",
      "Models & prices",
      "Aliases",
      "Routes",
      "Permissions",
      "Rate limits",
      "Quotas",
      "Usage",
      "Request logs",
      "Audit log",
      "Settings",
      "My keys",
    ])
      expect(within(nav).getByRole("link", { name: page })).toBeTruthy();
    const logins = calls.filter((c) => c.method === "POST" && c.url === "/login");
    expect(logins.map((c) => c.body)).toEqual([
      { name: "admin", password: "wrong" },
      { name: "admin", password: "s3cret" },
    ]);
  });

  it("shows a user only their own pages", async () => {
    mockGateway({
      "GET /user/me": () => json(200, { id: "2", name: "ann", is_admin: false }),
      "GET /user/keys": emptyPage,
    });
    renderApp("/users");
    // An admin page asked for by a user is not there.
    expect(await screen.findByRole("heading", { level: 1, name: "Page not found" })).toBeTruthy();
    expect(screen.queryByRole("link", { name: "Providers" })).toBeNull();
    expect(screen.getByRole("link", { name: "My keys" })).toBeTruthy();
  });

  it("returns to the login page with a notice when the session expires", async () => {
    let expired = false;
    mockGateway({
      "GET /user/me": () => json(200, admin),
      "GET /admin/users": () => (expired ? json(401, { error: "the session is over: log in again" }) : emptyPage()),
      "GET /admin/providers": () => json(401, { error: "the session is over: log in again" }),
    });
    const user = userEvent.setup();
    renderApp("/users");
    await screen.findByRole("heading", { level: 1, name: "Users & keys" });
    expired = true;
    await user.click(screen.getByRole("link", { name: "Providers" }));
    expect(await screen.findByText("Your session has expired. Please log in again.")).toBeTruthy();
    expect(screen.getByLabelText("User name")).toBeTruthy();
  });

  it("logs out", async () => {
    let signedIn = true;
    const calls = mockGateway({
      "GET /user/me": () => (signedIn ? json(200, admin) : json(401, { error: "no session" })),
      "POST /logout": () => {
        signedIn = false;
        return new Response(null, { status: 204 });
      },
      "GET /admin/users": emptyPage,
    });
    const user = userEvent.setup();
    renderApp("/users");
    await user.click(await screen.findByRole("button", { name: "Log out" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Log in" })).toBeTruthy());
    expect(screen.queryByText("Your session has expired. Please log in again.")).toBeNull();
    expect(calls.some((c) => c.method === "POST" && c.url === "/logout")).toBe(true);
  });
});
