// The routes. Client paths stay clear of the gateway's own (`/admin`, `/user`, `/login`,
// `/logout`, `/v1`, ...) so a reload of any page reaches the index.html fallback.
import { Navigate, Route, Routes } from "react-router";
import { useSession } from "./auth/session";
import { Loading } from "./components/feedback";
import { Layout } from "./components/Layout";
import { useI18n } from "./i18n";
import { Login } from "./pages/Login";
import { NotFound } from "./pages/NotFound";
import { Users } from "./pages/admin/Users";
import { UserDetail } from "./pages/admin/UserDetail";
import { Providers } from "./pages/admin/Providers";
import { ProviderDetail } from "./pages/admin/ProviderDetail";
import { Models } from "./pages/admin/Models";
import { UsageExplorer } from "./pages/admin/Usage";
import { Logs } from "./pages/admin/Logs";
import { LogDetail } from "./pages/admin/LogDetail";
import { Overview } from "./pages/admin/Overview";
import { Permissions } from "./pages/admin/Permissions";
import { RateLimits } from "./pages/admin/RateLimits";
import { Quotas } from "./pages/admin/Quotas";
import { Aliases } from "./pages/admin/Aliases";
import { Routes as RoutesPage } from "./pages/admin/Routes";
import { RouteDetail } from "./pages/admin/RouteDetail";
import { Audit } from "./pages/admin/Audit";
import { Settings } from "./pages/admin/Settings";
import { MyKeys } from "./pages/user/MyKeys";
import { MyUsage } from "./pages/user/MyUsage";
import { MyQuota } from "./pages/user/MyQuota";

export function App() {
  const { state } = useSession();
  const { t } = useI18n();

  if (state.status === "loading")
    return (
      <main className="login-page" aria-label={t("common.loading")}>
        <Loading />
      </main>
    );
  // Signed out: the login page stands in for whatever page was asked for, which then shows
  // once the user is back in.
  if (state.status === "anonymous") return <Login expired={state.expired} />;

  const admin = state.me.is_admin;
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Navigate to={admin ? "/overview" : "/me/keys"} replace />} />
        {admin && (
          <>
            <Route path="overview" element={<Overview />} />
            <Route path="users" element={<Users />} />
            <Route path="users/:id" element={<UserDetail />} />
            <Route path="providers" element={<Providers />} />
            <Route path="providers/:id" element={<ProviderDetail />} />
            <Route path="models" element={<Models />} />
            <Route path="aliases" element={<Aliases />} />
            <Route path="routes" element={<RoutesPage />} />
            <Route path="routes/:id" element={<RouteDetail />} />
            <Route path="permissions" element={<Permissions />} />
            <Route path="rate-limits" element={<RateLimits />} />
            <Route path="quotas" element={<Quotas />} />
            <Route path="usage" element={<UsageExplorer />} />
            <Route path="logs" element={<Logs />} />
            <Route path="logs/:requestId" element={<LogDetail />} />
            <Route path="audit" element={<Audit />} />
            <Route path="settings" element={<Settings />} />
          </>
        )}
        <Route path="me/keys" element={<MyKeys />} />
        <Route path="me/usage" element={<MyUsage />} />
        <Route path="me/quota" element={<MyQuota />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
