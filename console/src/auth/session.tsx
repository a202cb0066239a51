// Who is logged in. The gateway keeps the session in an HttpOnly cookie the app never sees, so
// the app asks `GET /user/me`; a 401 from any later call ends the session here and the login
// page comes back with a "session expired" notice.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, onUnauthorized, type Schemas } from "../api/client";

export type Me = Schemas["Me"];

export type SessionState =
  /** Asking the gateway whether the cookie still holds a session. */
  | { status: "loading" }
  /** No session; `expired` when one ended under the user (a 401 mid-use). */
  | { status: "anonymous"; expired: boolean }
  | { status: "signed-in"; me: Me };

export interface Session {
  state: SessionState;
  /** POST /login, then GET /user/me. Rejects with the ApiError of the login call. */
  login(name: string, password: string): Promise<void>;
  logout(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    api
      .get("/user/me", { noAuthRedirect: true, signal: controller.signal })
      .then((me) => setState({ status: "signed-in", me }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        // Any failure of the probe (401, the gateway down) starts at the login page.
        void error;
        setState({ status: "anonymous", expired: false });
      });
    return () => controller.abort();
  }, []);

  useEffect(() => {
    onUnauthorized(() => setState({ status: "anonymous", expired: true }));
    return () => onUnauthorized(null);
  }, []);

  const login = useCallback(async (name: string, password: string) => {
    await api.post("/login", { body: { name, password }, noAuthRedirect: true });
    const me = await api.get("/user/me", { noAuthRedirect: true });
    setState({ status: "signed-in", me });
  }, []);

  const logout = useCallback(async () => {
    try {
      await api.post("/logout", { noAuthRedirect: true });
    } finally {
      setState({ status: "anonymous", expired: false });
    }
  }, []);

  const value = useMemo(() => ({ state, login, logout }), [state, login, logout]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}

/** The signed-in user; only for components rendered inside the signed-in layout. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== "signed-in") throw new Error("useMe without a session");
  return state.me;
}
