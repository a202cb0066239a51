// The signed-in user's own usage.
import { api } from "../../api/client";
import { PageHeader } from "../../components/PageHeader";
import { UsageView } from "../../components/UsageView";
import { useI18n } from "../../i18n";
import { useApi } from "../../lib/hooks";

export function MyUsage() {
  const { t } = useI18n();
  const keys = useApi((signal) => api.get("/user/keys", { query: { limit: 500 }, signal }), "own-keys");
  return (
    <>
      <PageHeader title={t("nav.myUsage")} />
      <UsageView scope={{ kind: "own", keys: keys.data?.data ?? [] }} />
    </>
  );
}
