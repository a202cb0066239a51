// A stand-in for the gateway: answers fetch() from a route table and records every call.
import { vi } from "vitest";

export interface Recorded {
  method: string;
  url: string;
  body: unknown;
  credentials: RequestCredentials | undefined;
}

export type Handler = (call: Recorded) => Response | Promise<Response>;

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/**
 * Installs a fetch answering `"METHOD /path"` keys (query string ignored for matching);
 * anything else is a 404. Returns the calls made.
 */
export function mockGateway(routes: Record<string, Handler>): Recorded[] {
  const calls: Recorded[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
      const method = (init.method ?? "GET").toUpperCase();
      const call: Recorded = {
        method,
        url,
        body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
        credentials: init.credentials,
      };
      calls.push(call);
      const handler = routes[`${method} ${url.split("?")[0]}`];
      return handler ? handler(call) : json(404, { error: `no route ${method} ${url}` });
    }),
  );
  return calls;
}
