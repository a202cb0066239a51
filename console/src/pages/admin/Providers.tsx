// Providers: the list (paged, filtered by channel and name) and a new provider.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, toApiError, type ApiError } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { DeleteButton } from "../../components/ConfirmButton";
import { ErrorNotice, TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Field, checked, text, useSubmit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { useI18n } from "../../i18n";
import { CHANNELS } from "../../lib/channels";
import { usePaged } from "../../lib/hooks";
import { parseObject } from "../../lib/json";
import { PROVIDER_FIELDS, ProviderFields } from "./ProviderForm";

export function Providers() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [filters, setFilters] = useState({ channel: "", name: "" });
  const [creating, setCreating] = useState(false);
  const [rowError, setRowError] = useState<ApiError | null>(null);
  const page = usePaged(
    (cursor, signal) => api.get("/admin/providers", { query: { cursor, ...filters }, signal }),
    JSON.stringify(filters),
  );

  const submit = useSubmit(async (form) => {
    const provider = await api.post("/admin/providers", {
      body: {
        name: text(form, "name") ?? "",
        channel: String(form.get("channel")),
        settings: parseObject(String(form.get("settings") ?? ""), "settings", t("providers.settingsInvalid")),
        enabled: checked(form, "enabled"),
      },
    });
    setCreating(false);
    navigate(`/providers/${encodeURIComponent(provider.id)}`);
  });

  const setEnabled = async (id: string, enabled: boolean) => {
    setRowError(null);
    try {
      await api.patch("/admin/providers/{id}", { path: { id }, body: { enabled } });
      page.reload();
    } catch (error) {
      setRowError(toApiError(error));
    }
  };

  return (
    <>
      <PageHeader title={t("providers.title")}>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          {t("providers.new")}
        </button>
      </PageHeader>
      <form
        className="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          const form = new FormData(event.currentTarget);
          setFilters({ channel: String(form.get("channel") ?? ""), name: String(form.get("name") ?? "").trim() });
        }}
      >
        <Field label={t("providers.channel")}>
          {(props) => (
            <select {...props} name="channel" defaultValue={filters.channel}>
              <option value="">{t("common.all")}</option>
              {CHANNELS.map((kind) => (
                <option key={kind} value={kind}>
                  {kind}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t("providers.name")}>{(props) => <input {...props} name="name" defaultValue={filters.name} />}</Field>
        <div className="filter-actions">
          <button type="submit">{t("common.apply")}</button>
        </div>
      </form>
      {rowError && <ErrorNotice error={rowError} />}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("providers.name")}</th>
              <th scope="col">{t("providers.channel")}</th>
              <th scope="col">{t("providers.baseUrl")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={5} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((provider) => {
              const baseUrl = (provider.settings as { base_url?: unknown } | undefined)?.base_url;
              return (
                <tr key={provider.id}>
                  <td>
                    <Link to={`/providers/${encodeURIComponent(provider.id)}`}>{provider.name}</Link>
                  </td>
                  <td>{provider.channel}</td>
                  <td className="truncate">{typeof baseUrl === "string" ? baseUrl : <span className="muted">{t("providers.defaultUrl")}</span>}</td>
                  <td>
                    <EnabledBadge enabled={provider.enabled} />
                  </td>
                  <td className="row-actions">
                    <button type="button" className="small" onClick={() => void setEnabled(provider.id, !provider.enabled)}>
                      {provider.enabled ? t("common.disable") : t("common.enable")}
                    </button>
                    <DeleteButton
                      title={t("providers.deleteTitle")}
                      message={t("providers.deleteBody", { name: provider.name })}
                      onConfirm={async () => {
                        await api.delete("/admin/providers/{id}", { path: { id: provider.id } });
                        page.reload();
                      }}
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <Pager page={page} />
      <FormDialog
        title={t("providers.new")}
        open={creating}
        wide
        onClose={() => setCreating(false)}
        submit={submit}
        fields={PROVIDER_FIELDS}
        submitLabel={t("providers.create")}
      >
        <ProviderFields submit={submit} />
      </FormDialog>
    </>
  );
}
