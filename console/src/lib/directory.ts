// Names for the ids the API returns (users, providers), for filters and table cells. Loads the
// first 500 of each (the API's page maximum); a larger team still filters by id.
import { api, type Schemas } from "../api/client";
import { useApi } from "./hooks";

export function useUsers() {
  const loaded = useApi((signal) => api.get("/admin/users", { query: { limit: 500 }, signal }), "users");
  const users: Schemas["UserView"][] = loaded.data?.data ?? [];
  const names = new Map(users.map((u) => [u.id, u.name]));
  return {
    users,
    /** The user's name, or `#id` when not among the first 500. */
    name: (id: string | null | undefined) => (id ? (names.get(id) ?? `#${id}`) : "—"),
  };
}

export function useProviders() {
  const loaded = useApi((signal) => api.get("/admin/providers", { query: { limit: 500 }, signal }), "providers");
  return { providers: loaded.data?.data ?? [], error: loaded.error };
}
