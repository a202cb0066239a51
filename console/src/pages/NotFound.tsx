// Any path the app does not know (or an admin page asked for by a user).
import { Link } from "react-router";
import { PageHeader } from "../components/PageHeader";
import { useI18n } from "../i18n";

export function NotFound() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("notFound.title")} />
      <p>{t("notFound.body")}</p>
      <p>
        <Link to="/">{t("notFound.home")}</Link>
      </p>
    </>
  );
}
