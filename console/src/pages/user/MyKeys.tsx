// The signed-in user's own API keys.
import { KeysPanel } from "../../components/KeysPanel";
import { PageHeader } from "../../components/PageHeader";
import { useI18n } from "../../i18n";

export function MyKeys() {
  const { t } = useI18n();
  return (
    <>
      <PageHeader title={t("nav.myKeys")} />
      <p className="muted">{t("keys.ownIntro")}</p>
      <KeysPanel scope={{ kind: "own" }} />
    </>
  );
}
