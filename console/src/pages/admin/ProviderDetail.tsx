// One provider: its settings, and its credentials with their live health (healthy, partial
// with the models cooling and until when, dead), reset, enable/disable and delete.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice, Loading } from "../../components/feedback";
import { FormActions, SubmitButton, checked, text, useSubmit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { useI18n } from "../../i18n";
import { useApi } from "../../lib/hooks";
import { parseObject } from "../../lib/json";
import { Credentials } from "./Credentials";
import { PROVIDER_FIELDS, ProviderFields } from "./ProviderForm";

export function ProviderDetail() {
  const { id = "" } = useParams();
  const { t } = useI18n();
  const navigate = useNavigate();
  const provider = useApi((signal) => api.get("/admin/providers/{id}", { path: { id }, signal }), id);
  const [saved, setSaved] = useState(false);

  const submit = useSubmit(async (form) => {
    setSaved(false);
    await api.patch("/admin/providers/{id}", {
      path: { id },
      body: {
        name: text(form, "name") ?? "",
        channel: String(form.get("channel")),
        settings: parseObject(String(form.get("settings") ?? ""), "settings", t("providers.settingsInvalid")),
        enabled: checked(form, "enabled"),
      },
    });
    setSaved(true);
    provider.reload();
  });

  if (provider.error) return <ErrorNotice error={provider.error} />;
  if (!provider.data) return <Loading />;
  const p = provider.data;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/providers">← {t("providers.title")}</Link>
      </p>
      <PageHeader title={p.name}>
        <EnabledBadge enabled={p.enabled} />
        <Link className="button small" to={`/models?provider=${encodeURIComponent(p.name)}`}>
          {t("providers.models")}
        </Link>
        <ConfirmButton
          danger
          label={t("providers.delete")}
          title={t("providers.deleteTitle")}
          message={t("providers.deleteBody", { name: p.name })}
          confirmLabel={t("common.delete")}
          onConfirm={async () => {
            await api.delete("/admin/providers/{id}", { path: { id } });
            navigate("/providers");
          }}
        />
      </PageHeader>
      <details className="card">
        <summary>
          <h2>{t("providers.settingsTitle")}</h2>
        </summary>
        <form key={p.updated_at} onSubmit={submit.onSubmit}>
          <ProviderFields submit={submit} provider={p} />
          <FormActions error={submit.formError(PROVIDER_FIELDS)}>
            {saved && (
              <span className="muted" role="status">
                {t("common.saved")}
              </span>
            )}
            <SubmitButton busy={submit.busy}>{t("common.save")}</SubmitButton>
          </FormActions>
        </form>
      </details>
      <Credentials providerId={p.id} providerName={p.name} />
    </>
  );
}
