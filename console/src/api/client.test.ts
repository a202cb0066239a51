import { describe, expect, it, vi } from "vitest";
import { json, mockGateway } from "../test/fetch";
import { ApiError, api, fillPath, onUnauthorized, queryString } from "./client";

describe("the API client", () => {
  it("sends JSON with the session cookie and returns the body", async () => {
    const calls = mockGateway({
      "POST /admin/users": () => json(201, { id: "7", name: "ann", is_admin: false, enabled: true, created_at: "2026-01-01T00:00:00Z" }),
    });
    const user = await api.post("/admin/users", { body: { name: "ann", password: "pw" } });
    expect(user.id).toBe("7");
    expect(calls).toHaveLength(1);
    expect(calls[0].credentials).toBe("same-origin");
    expect(calls[0].body).toEqual({ name: "ann", password: "pw" });
  });

  it("fills path parameters, percent-encoded, and leaves empty query values out", async () => {
    const calls = mockGateway({ "GET /admin/users/a%2Fb/keys": () => json(200, { data: [], next_cursor: null }) });
    await api.get("/admin/users/{id}/keys", { path: { id: "a/b" }, query: { cursor: undefined, limit: 20 } });
    expect(calls[0].url).toBe("/admin/users/a%2Fb/keys?limit=20");
    expect(queryString({ a: "", b: null, c: undefined })).toBe("");
    expect(queryString({ from: "2026-01-01T00:00:00Z" })).toBe("?from=2026-01-01T00%3A00%3A00Z");
    expect(() => fillPath("/admin/keys/{id}", {})).toThrow(/id/);
  });

  it("turns {error, field} into an ApiError naming the field", async () => {
    mockGateway({ "POST /admin/users": () => json(409, { error: "a user named `ann` exists", field: "name" }) });
    const failure = await api.post("/admin/users", { body: { name: "ann", password: "x" } }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ status: 409, field: "name", message: "a user named `ann` exists" });
  });

  it("keeps the status text when the error body is not JSON, and reads retry-after", async () => {
    mockGateway({
      "GET /user/me": () => new Response("<html>busy</html>", { status: 429, statusText: "Too Many Requests", headers: { "retry-after": "12" } }),
    });
    const failure = (await api.get("/user/me").catch((e: unknown) => e)) as ApiError;
    expect(failure.status).toBe(429);
    expect(failure.message).toBe("Too Many Requests");
    expect(failure.field).toBeNull();
    expect(failure.retryAfter).toBe(12);
  });

  it("reports a network failure as status 0", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))));
    await expect(api.get("/user/me")).rejects.toMatchObject({ status: 0, message: "network" });
  });

  it("tells the session layer about a 401, unless the call opts out", async () => {
    mockGateway({ "GET /admin/users": () => json(401, { error: "the session is over: log in again" }), "POST /login": () => json(401, { error: "invalid name or password" }) });
    const heard: ApiError[] = [];
    onUnauthorized((error) => heard.push(error));
    try {
      await expect(api.get("/admin/users")).rejects.toMatchObject({ status: 401 });
      expect(heard).toHaveLength(1);
      expect(heard[0].message).toBe("the session is over: log in again");
      await expect(api.post("/login", { body: { name: "a", password: "b" }, noAuthRedirect: true })).rejects.toMatchObject({ status: 401 });
      expect(heard).toHaveLength(1);
    } finally {
      onUnauthorized(null);
    }
  });

  it("resolves a 204 to undefined", async () => {
    mockGateway({ "DELETE /admin/keys/3": () => new Response(null, { status: 204 }) });
    await expect(api.delete("/admin/keys/{id}", { path: { id: "3" } })).resolves.toBeUndefined();
  });
});
