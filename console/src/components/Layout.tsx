// The signed-in frame: header (who, language, logout), navigation (an admin's pages and the
// user's own), and the page. On narrow screens the navigation folds behind a menu button.
import { useEffect, useState } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { useMe, useSession } from "../auth/session";
import { useI18n, type MessageKey } from "../i18n";
import { LanguageSwitch } from "./LanguageSwitch";

interface NavItem {
  to: string;
  label: MessageKey;
}

/** The admin's pages; each entry exists only once its page does. */
export const adminNav: NavItem[] = [
  { to: "/overview", label: "nav.overview" },
  { to: "/users", label: "nav.users" },
  { to: "/providers", label: "nav.providers" },
  { to: "/models", label: "nav.models" },
  { to: "/aliases", label: "nav.aliases" },
  { to: "/routes", label: "nav.routes" },
  { to: "/permissions", label: "nav.permissions" },
  { to: "/rate-limits", label: "nav.rateLimits" },
  { to: "/quotas", label: "nav.quotas" },
  { to: "/usage", label: "nav.usage" },
  { to: "/logs", label: "nav.logs" },
  { to: "/audit", label: "nav.audit" },
  { to: "/settings", label: "nav.settings" },
];

/** Every user's own pages (an admin's too). */
export const ownNav: NavItem[] = [
  { to: "/me/keys", label: "nav.myKeys" },
  { to: "/me/usage", label: "nav.myUsage" },
  { to: "/me/quota", label: "nav.myQuota" },
];

export function Layout() {
  const me = useMe();
  const { logout } = useSession();
  const { t } = useI18n();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();

  // A followed link closes the folded menu.
  useEffect(() => setMenuOpen(false), [location.pathname]);

  const link = (item: NavItem) => (
    <li key={item.to}>
      <NavLink to={item.to}>{t(item.label)}</NavLink>
    </li>
  );

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <header className="topbar">
        <button
          type="button"
          className="icon menu-button"
          aria-expanded={menuOpen}
          aria-controls="site-nav"
          aria-label={t("nav.menu")}
          onClick={() => setMenuOpen((open) => !open)}
        >
          ☰
        </button>
        <span className="brand">gproxy</span>
        <div className="topbar-end">
          <LanguageSwitch />
          <span className="who" title={me.is_admin ? t("users.admin") : undefined}>
            {me.name}
            {me.is_admin && <span className="badge badge-neutral">{t("users.admin")}</span>}
          </span>
          <button type="button" className="small" onClick={() => void logout()}>
            {t("nav.logout")}
          </button>
        </div>
      </header>
      <nav id="site-nav" className={menuOpen ? "sidebar open" : "sidebar"} aria-label={t("nav.main")}>
        {me.is_admin && (
          <>
            <h2 className="nav-heading">{t("nav.admin")}</h2>
            <ul>{adminNav.map(link)}</ul>
          </>
        )}
        <h2 className="nav-heading">{t("nav.account")}</h2>
        <ul>{ownNav.map(link)}</ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
