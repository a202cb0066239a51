// Models and prices: every provider's models (filtered by provider), a new model, price edits,
// enable/disable and delete. Prices are exact decimal USD strings; an empty field is no price.
import { useState } from "react";
import { useSearchParams } from "react-router";
import { api, ApiError, toApiError, type Schemas } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { DeleteButton } from "../../components/ConfirmButton";
import { ErrorNotice, TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Checkbox, Field, checked, text, useSubmit, type Submit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { useI18n, type MessageKey } from "../../i18n";
import { useProviders } from "../../lib/directory";
import { usePaged } from "../../lib/hooks";

type Model = Schemas["ModelView"];
const PRICES = [
  ["price_input_per_mtok", "models.priceInput"],
  ["price_output_per_mtok", "models.priceOutput"],
  ["price_cache_read_per_mtok", "models.priceCacheRead"],
  ["price_cache_write_per_mtok", "models.priceCacheWrite"],
  ["price_each_call", "models.priceEachCall"],
] as const satisfies readonly (readonly [keyof Model, MessageKey])[];
type PriceField = (typeof PRICES)[number][0];
const FIELDS = ["provider", "model_id", "display_name", "enabled", ...PRICES.map(([name]) => name)];

/** The prices of a form: an empty field is `null` (no price; on an edit, clears it). */
function prices(form: FormData): Record<PriceField, string | null> {
  return Object.fromEntries(PRICES.map(([name]) => [name, text(form, name) ?? null])) as Record<PriceField, string | null>;
}

function ModelFields({ submit, model }: { submit: Submit; model?: Model }) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t("models.modelId")} error={submit.fieldError("model_id")} hint={t("models.modelIdHint")}>
        {(props) => <input {...props} name="model_id" defaultValue={model?.model_id} required autoComplete="off" />}
      </Field>
      <Field label={t("models.displayName")} error={submit.fieldError("display_name")}>
        {(props) => <input {...props} name="display_name" defaultValue={model?.display_name ?? ""} autoComplete="off" />}
      </Field>
      <fieldset className="price-grid">
        <legend>{t("models.prices")}</legend>
        {PRICES.map(([name, label]) => (
          <Field key={name} label={t(label)} error={submit.fieldError(name)}>
            {(props) => (
              <input
                {...props}
                name={name}
                inputMode="decimal"
                pattern="[0-9]*\.?[0-9]*"
                placeholder="0.00"
                defaultValue={model?.[name] ?? ""}
                autoComplete="off"
              />
            )}
          </Field>
        ))}
      </fieldset>
      <Checkbox label={t("common.enabled")} name="enabled" defaultChecked={model?.enabled ?? true} error={submit.fieldError("enabled")} />
    </>
  );
}

export function Models() {
  const { t, fmt } = useI18n();
  const [params, setParams] = useSearchParams();
  const provider = params.get("provider") ?? "";
  const { providers } = useProviders();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Model | null>(null);
  const [rowError, setRowError] = useState<ApiError | null>(null);
  const page = usePaged((cursor, signal) => api.get("/admin/models", { query: { cursor, provider }, signal }), provider);

  const create = useSubmit(async (form) => {
    const providerId = String(form.get("provider") ?? "");
    if (!providerId) throw new ApiError(400, t("models.pickProvider"), "provider");
    await api.post("/admin/providers/{id}/models", {
      path: { id: providerId },
      body: {
        model_id: text(form, "model_id") ?? "",
        display_name: text(form, "display_name") ?? null,
        enabled: checked(form, "enabled"),
        ...prices(form),
      },
    });
    setAdding(false);
    page.reload();
  });

  const edit = useSubmit(async (form) => {
    if (!editing) return;
    await api.patch("/admin/models/{id}", {
      path: { id: editing.id },
      body: {
        model_id: text(form, "model_id") ?? "",
        display_name: text(form, "display_name") ?? null,
        enabled: checked(form, "enabled"),
        ...prices(form),
      },
    });
    setEditing(null);
    page.reload();
  });

  const setEnabled = async (model: Model) => {
    setRowError(null);
    try {
      await api.patch("/admin/models/{id}", { path: { id: model.id }, body: { enabled: !model.enabled } });
      page.reload();
    } catch (error) {
      setRowError(toApiError(error));
    }
  };

  const selectedProvider = providers.find((p) => p.name === provider);

  return (
    <>
      <PageHeader title={t("models.title")}>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("models.new")}
        </button>
      </PageHeader>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label={t("models.provider")}>
          {(props) => (
            <select
              {...props}
              value={provider}
              onChange={(event) => setParams(event.target.value ? { provider: event.target.value } : {})}
            >
              <option value="">{t("common.all")}</option>
              {providers.map((p) => (
                <option key={p.id} value={p.name}>
                  {p.name}
                </option>
              ))}
              {provider && !selectedProvider && <option value={provider}>{provider}</option>}
            </select>
          )}
        </Field>
      </form>
      <p className="muted">{t("models.pricesNote")}</p>
      {rowError && <ErrorNotice error={rowError} />}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("models.provider")}</th>
              <th scope="col">{t("models.modelId")}</th>
              {PRICES.map(([name, label]) => (
                <th scope="col" key={name} className="num">
                  {t(label)}
                </th>
              ))}
              <th scope="col">{t("common.status")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={PRICES.length + 4} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((model) => (
              <tr key={model.id}>
                <td className="nowrap">{model.provider}</td>
                <td className="nowrap">
                  <code>{model.model_id}</code>
                  {model.display_name && <div className="muted">{model.display_name}</div>}
                </td>
                {PRICES.map(([name]) => (
                  <td key={name} className="num">
                    {fmt.money(model[name])}
                  </td>
                ))}
                <td>
                  <EnabledBadge enabled={model.enabled} />
                </td>
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => setEditing(model)}>
                    {t("common.edit")}
                  </button>
                  <button type="button" className="small" onClick={() => void setEnabled(model)}>
                    {model.enabled ? t("common.disable") : t("common.enable")}
                  </button>
                  <DeleteButton
                    title={t("models.deleteTitle")}
                    message={t("models.deleteBody", { name: `${model.provider}/${model.model_id}` })}
                    onConfirm={async () => {
                      await api.delete("/admin/models/{id}", { path: { id: model.id } });
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
        title={t("models.new")}
        open={adding}
        wide
        onClose={() => setAdding(false)}
        submit={create}
        fields={FIELDS}
        submitLabel={t("models.create")}
      >
        <Field label={t("models.provider")} error={create.fieldError("provider")}>
          {(props) => (
            <select {...props} name="provider" required defaultValue={selectedProvider?.id ?? ""}>
              <option value="" disabled>
                {t("models.pickProvider")}
              </option>
              {providers.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name} ({p.channel})
                </option>
              ))}
            </select>
          )}
        </Field>
        <ModelFields submit={create} />
      </FormDialog>
      <FormDialog
        title={editing ? t("models.editTitle", { name: `${editing.provider}/${editing.model_id}` }) : ""}
        open={editing !== null}
        wide
        onClose={() => setEditing(null)}
        submit={edit}
        fields={FIELDS}
        submitLabel={t("common.save")}
      >
        {editing && (
          <>
            <ModelFields submit={edit} model={editing} />
          </>
        )}
      </FormDialog>
    </>
  );
}
