// The one way the console talks to the gateway: typed over the generated OpenAPI `paths`, with
// the session cookie (`credentials: "same-origin"`), JSON in and out, and the gateway's error
// body `{error, field}` turned into an ApiError a form can show next to its field.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

type HttpMethod = "get" | "post" | "patch" | "delete";

/** The paths that have an operation for `M`. */
export type PathsFor<M extends HttpMethod> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never;
}[keyof paths];

type Operation<P extends keyof paths, M extends HttpMethod> = paths[P][M];
type ParamsOf<O> = O extends { parameters: infer X } ? X : never;
type QueryOf<O> = ParamsOf<O> extends { query?: infer Q } ? Q : never;
type PathParamsOf<O> = ParamsOf<O> extends { path: infer X } ? X : never;
type BodyOf<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type JsonOf<R> = R extends { content: { "application/json": infer J } } ? J : void;
type SuccessOf<O> = O extends { responses: infer R }
  ? R extends { 200: infer X }
    ? JsonOf<X>
    : R extends { 201: infer X }
      ? JsonOf<X>
      : void
  : never;

export interface CallOptions<O> {
  /** Values for the `{name}` segments of the path (percent-encoded here). */
  path?: PathParamsOf<O>;
  /** Query parameters; `undefined`, `null` and `""` are left out. */
  query?: QueryOf<O>;
  body?: BodyOf<O>;
  signal?: AbortSignal;
  /**
   * Don't treat a 401 as an expired session: for the login call itself and the first
   * "who am I" probe, where a 401 only means "not logged in".
   */
  noAuthRedirect?: boolean;
}

/** A failed call: the gateway's `{error, field}` body, or what went wrong on the way. */
export class ApiError extends Error {
  /** The HTTP status; 0 when no answer came (network failure). */
  readonly status: number;
  /** The request field at fault, when the gateway named one. */
  readonly field: string | null;
  /** Seconds to wait before trying again (`retry-after`, on 429). */
  readonly retryAfter: number | null;

  constructor(status: number, message: string, field: string | null = null, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

/** A page of a collection: `{data, next_cursor}` (DESIGN.md §9). */
export interface Page<T> {
  data: T[];
  next_cursor?: string | null;
}

let unauthorizedHandler: ((error: ApiError) => void) | null = null;

/** Who hears about a 401 (the session ended): the auth layer, which shows the login page. */
export function onUnauthorized(handler: ((error: ApiError) => void) | null): void {
  unauthorizedHandler = handler;
}

/** `/admin/users/{id}/keys` + `{id: "7"}` → `/admin/users/7/keys`. */
export function fillPath(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null || value === "") {
      throw new Error(`missing path parameter ${name} for ${template}`);
    }
    return encodeURIComponent(String(value));
  });
}

/** The query string for `query`, leaving out empty values; "" when there is none. */
export function queryString(query: Record<string, unknown> | undefined): string {
  if (!query) return "";
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    search.append(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function errorFrom(response: Response): Promise<ApiError> {
  const retryHeader = response.headers.get("retry-after");
  const retryAfter = retryHeader && /^\d+$/.test(retryHeader) ? Number(retryHeader) : null;
  let message = response.statusText || `HTTP ${response.status}`;
  let field: string | null = null;
  try {
    const body: unknown = await response.json();
    if (body && typeof body === "object" && "error" in body) {
      const error = (body as { error: unknown }).error;
      if (typeof error === "string") message = error;
      // A proxy-shaped error (`{error: {message}}`) still yields its message.
      else if (error && typeof error === "object" && "message" in error) message = String(error.message);
      const named = (body as { field?: unknown }).field;
      if (typeof named === "string" && named) field = named;
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): the status text stands.
  }
  return new ApiError(response.status, message, field, retryAfter);
}

/** Call one operation of the gateway's API; resolves to its success body. */
export async function call<M extends HttpMethod, P extends PathsFor<M>>(
  method: M,
  path: P,
  options: CallOptions<Operation<P, M>> = {},
): Promise<SuccessOf<Operation<P, M>>> {
  const url =
    fillPath(path, options.path as Record<string, unknown> | undefined) +
    queryString(options.query as Record<string, unknown> | undefined);
  const headers: Record<string, string> = { accept: "application/json" };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: method.toUpperCase(),
      headers,
      body,
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "network");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (error.status === 401 && !options.noAuthRedirect) unauthorizedHandler?.(error);
    throw error;
  }
  if (response.status === 204) return undefined as SuccessOf<Operation<P, M>>;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as SuccessOf<Operation<P, M>>;
}

/** The typed shorthands: `api.get("/admin/users", {query: {limit: 50}})`. */
export const api = {
  get: <P extends PathsFor<"get">>(path: P, options?: CallOptions<Operation<P, "get">>) =>
    call("get", path, options),
  post: <P extends PathsFor<"post">>(path: P, options?: CallOptions<Operation<P, "post">>) =>
    call("post", path, options),
  patch: <P extends PathsFor<"patch">>(path: P, options?: CallOptions<Operation<P, "patch">>) =>
    call("patch", path, options),
  delete: <P extends PathsFor<"delete">>(path: P, options?: CallOptions<Operation<P, "delete">>) =>
    call("delete", path, options),
};

/**
 * Operations whose bodies are text, not JSON: the config export answers `application/toml`
 * and the import takes it. Same cookie, errors and 401 handling as `call`.
 */
export async function callText(
  method: "get" | "post",
  path: "/admin/config/export" | "/admin/config/import",
  body?: string,
  contentType = "application/toml",
): Promise<string> {
  const headers: Record<string, string> = { accept: "application/toml, application/json" };
  if (body !== undefined) headers["content-type"] = contentType;
  let response: Response;
  try {
    response = await fetch(path, { method: method.toUpperCase(), headers, body, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (error.status === 401) unauthorizedHandler?.(error);
    throw error;
  }
  return response.text();
}

/** `GET /admin/config/export`: the instance's configuration as TOML text. */
export const exportConfig = (): Promise<string> => callText("get", "/admin/config/export");

/** `POST /admin/config/import` with a TOML document; the counts of what it held. */
export async function importConfig(toml: string): Promise<Schemas["ImportResult"]> {
  return JSON.parse(await callText("post", "/admin/config/import", toml)) as Schemas["ImportResult"];
}

/** Any failure as an ApiError (so every error shows the same way). */
export function toApiError(failure: unknown): ApiError {
  return failure instanceof ApiError ? failure : new ApiError(0, failure instanceof Error ? failure.message : String(failure));
}
