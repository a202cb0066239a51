// The admin's usage explorer: every user's usage.
import { PageHeader } from "../../components/PageHeader";
import { UsageView } from "../../components/UsageView";
import { useI18n } from "../../i18n";
import { useUsers } from "../../lib/directory";

export function UsageExplorer() {
  const { t } = useI18n();
  const { users, name } = useUsers();
  return (
    <>
      <PageHeader title={t("usage.title")} />
      <UsageView scope={{ kind: "admin", users, userName: name }} />
    </>
  );
}
