// Aliases: a name clients may call that stands for one provider's model; filtered by provider
// in the URL; new, edit, enable/disable, delete.
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api, toApiError, type ApiError, type Schemas } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { DeleteButton } from "../../components/ConfirmButton";
import { ErrorNotice, TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Checkbox, Field, checked, text, useSubmit, type Submit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { useI18n } from "../../i18n";
import { useProviders } from "../../lib/directory";
import { usePaged } from "../../lib/hooks";

type Alias = Schemas["AliasView"];
const FIELDS = ["alias", "provider", "model_id", "enabled"] as const;

/** Provider (by name) and upstream model id, shared by aliases and route members. */
export function TargetFields({ submit, provider, modelId }: { submit: Submit; provider?: string; modelId?: string }) {
  const { t } = useI18n();
  const { providers } = useProviders();
  return (
    <>
      <Field label={t("usage.provider")} error={submit.fieldError("provider")}>
        {(props) => (
          <select {...props} name="provider" required defaultValue={provider ?? ""}>
            <option value="" disabled>
              {t("models.pickProvider")}
            </option>
            {providers.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
            {provider && !providers.some((p) => p.name === provider) && <option value={provider}>{provider}</option>}
          </select>
        )}
      </Field>
      <Field label={t("models.modelId")} error={submit.fieldError("model_id")} hint={t("models.modelIdHint")}>
        {(props) => <input {...props} name="model_id" required defaultValue={modelId ?? ""} autoComplete="off" />}
      </Field>
    </>
  );
}

function AliasFields({ submit, alias }: { submit: Submit; alias?: Alias }) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t("aliases.alias")} error={submit.fieldError("alias")} hint={t("aliases.aliasHint")}>
        {(props) => <input {...props} name="alias" required defaultValue={alias?.alias ?? ""} autoComplete="off" />}
      </Field>
      <TargetFields submit={submit} provider={alias?.provider} modelId={alias?.model_id} />
      <Checkbox label={t("common.enabled")} name="enabled" defaultChecked={alias?.enabled ?? true} error={submit.fieldError("enabled")} />
    </>
  );
}

function body(form: FormData) {
  return {
    alias: text(form, "alias") ?? "",
    provider: text(form, "provider") ?? "",
    model_id: text(form, "model_id") ?? "",
    enabled: checked(form, "enabled"),
  };
}

export function Aliases() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const provider = params.get("provider") ?? "";
  const { providers } = useProviders();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Alias | null>(null);
  const [rowError, setRowError] = useState<ApiError | null>(null);
  const page = usePaged((cursor, signal) => api.get("/admin/aliases", { query: { cursor, provider }, signal }), provider);

  const create = useSubmit(async (form) => {
    await api.post("/admin/aliases", { body: body(form) });
    setAdding(false);
    page.reload();
  });
  const edit = useSubmit(async (form) => {
    if (!editing) return;
    await api.patch("/admin/aliases/{id}", { path: { id: editing.id }, body: body(form) });
    setEditing(null);
    page.reload();
  });
  const toggle = async (alias: Alias) => {
    setRowError(null);
    try {
      await api.patch("/admin/aliases/{id}", { path: { id: alias.id }, body: { enabled: !alias.enabled } });
      page.reload();
    } catch (error) {
      setRowError(toApiError(error));
    }
  };

  return (
    <>
      <PageHeader title={t("aliases.title")}>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("aliases.new")}
        </button>
      </PageHeader>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label={t("usage.provider")}>
          {(props) => (
            <select {...props} value={provider} onChange={(event) => setParams(event.target.value ? { provider: event.target.value } : {})}>
              <option value="">{t("common.all")}</option>
              {providers.map((p) => (
                <option key={p.id} value={p.name}>
                  {p.name}
                </option>
              ))}
              {provider && !providers.some((p) => p.name === provider) && <option value={provider}>{provider}</option>}
            </select>
          )}
        </Field>
      </form>
      {rowError && <ErrorNotice error={rowError} />}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("aliases.alias")}</th>
              <th scope="col">{t("aliases.target")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={4} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((a) => (
              <tr key={a.id}>
                <td>
                  <code>{a.alias}</code>
                </td>
                <td>
                  <code>{a.model_id}</code>
                  <div className="muted">{a.provider}</div>
                </td>
                <td>
                  <EnabledBadge enabled={a.enabled} />
                </td>
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => setEditing(a)}>
                    {t("common.edit")}
                  </button>
                  <button type="button" className="small" onClick={() => void toggle(a)}>
                    {a.enabled ? t("common.disable") : t("common.enable")}
                  </button>
                  <DeleteButton
                    title={t("aliases.deleteTitle")}
                    message={t("aliases.deleteBody", { name: a.alias })}
                    onConfirm={async () => {
                      await api.delete("/admin/aliases/{id}", { path: { id: a.id } });
                      page.reload();
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} />
      <FormDialog
        title={t("aliases.new")}
        open={adding}
        onClose={() => setAdding(false)}
        submit={create}
        fields={FIELDS}
        submitLabel={t("common.create")}
      >
        <AliasFields submit={create} />
      </FormDialog>
      <FormDialog
        title={t("aliases.editTitle")}
        open={editing !== null}
        onClose={() => setEditing(null)}
        submit={edit}
        fields={FIELDS}
        submitLabel={t("common.save")}
      >
        {editing && (
          <>
            <AliasFields submit={edit} alias={editing} />
          </>
        )}
      </FormDialog>
    </>
  );
}
