// Rate limits: per user and model pattern, four optional ceilings (requests and tokens per
// minute and per day). An empty ceiling is none; on an edit it is sent as null, which clears it.
import { useState } from "react";
import { api, ApiError, type Schemas } from "../../api/client";
import { DeleteButton } from "../../components/ConfirmButton";
import { TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Field, text, useSubmit, type Submit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { UserFilter, UserSelect, useUserFilter } from "../../components/UserPick";
import { useI18n, type MessageKey } from "../../i18n";
import { useUsers } from "../../lib/directory";
import { usePaged } from "../../lib/hooks";

type RateLimit = Schemas["RateLimit"];
const CEILINGS = [
  ["rpm", "quota.rpm"],
  ["rpd", "quota.rpd"],
  ["tpm", "quota.tpm"],
  ["tpd", "quota.tpd"],
] as const satisfies readonly (readonly [keyof RateLimit, MessageKey])[];
type Ceiling = (typeof CEILINGS)[number][0];
const FIELDS = ["user_id", "model_pattern", ...CEILINGS.map(([name]) => name)];

/** The ceilings of a form: empty is `null` (none; on an edit, cleared). */
export function ceilings(form: FormData, invalid: string): Record<Ceiling, number | null> {
  const out = {} as Record<Ceiling, number | null>;
  for (const [name] of CEILINGS) {
    const value = text(form, name);
    if (value === undefined) out[name] = null;
    else if (/^\d+$/.test(value)) out[name] = Number(value);
    else throw new ApiError(400, invalid, name);
  }
  return out;
}

function LimitFields({ submit, limit }: { submit: Submit; limit?: RateLimit }) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t("quota.modelPattern")} error={submit.fieldError("model_pattern")} hint={t("perm.modelPatternHint")}>
        {(props) => <input {...props} name="model_pattern" defaultValue={limit?.model_pattern ?? "*"} autoComplete="off" />}
      </Field>
      <fieldset className="price-grid">
        <legend>{t("limits.ceilings")}</legend>
        {CEILINGS.map(([name, label]) => (
          <Field key={name} label={t(label)} error={submit.fieldError(name)}>
            {(props) => (
              <input {...props} name={name} inputMode="numeric" pattern="[0-9]*" defaultValue={limit?.[name] ?? ""} autoComplete="off" />
            )}
          </Field>
        ))}
      </fieldset>
    </>
  );
}

export function RateLimits() {
  const { t, fmt } = useI18n();
  const userId = useUserFilter();
  const { users, name } = useUsers();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<RateLimit | null>(null);
  const page = usePaged((cursor, signal) => api.get("/admin/rate-limits", { query: { cursor, user_id: userId }, signal }), userId);

  const create = useSubmit(async (form) => {
    await api.post("/admin/rate-limits", {
      body: {
        user_id: String(form.get("user_id") ?? ""),
        model_pattern: text(form, "model_pattern") ?? "*",
        ...ceilings(form, t("limits.invalid")),
      },
    });
    setAdding(false);
    page.reload();
  });
  const edit = useSubmit(async (form) => {
    if (!editing) return;
    await api.patch("/admin/rate-limits/{id}", {
      path: { id: editing.id },
      body: { model_pattern: text(form, "model_pattern") ?? "*", ...ceilings(form, t("limits.invalid")) },
    });
    setEditing(null);
    page.reload();
  });

  const cell = (value: number | null | undefined) => (value === null || value === undefined ? t("quota.unlimited") : fmt.number(value));

  return (
    <>
      <PageHeader title={t("limits.title")}>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("limits.new")}
        </button>
      </PageHeader>
      <UserFilter users={users} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("usage.user")}</th>
              <th scope="col">{t("quota.modelPattern")}</th>
              {CEILINGS.map(([n, label]) => (
                <th key={n} scope="col" className="num">
                  {t(label)}
                </th>
              ))}
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={7} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((limit) => (
              <tr key={limit.id}>
                <td>{name(limit.user_id)}</td>
                <td>
                  <code>{limit.model_pattern}</code>
                </td>
                {CEILINGS.map(([n]) => (
                  <td key={n} className="num">
                    {cell(limit[n])}
                  </td>
                ))}
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => setEditing(limit)}>
                    {t("common.edit")}
                  </button>
                  <DeleteButton
                    title={t("limits.deleteTitle")}
                    message={t("limits.deleteBody", { name: name(limit.user_id), pattern: limit.model_pattern })}
                    onConfirm={async () => {
                      await api.delete("/admin/rate-limits/{id}", { path: { id: limit.id } });
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
        title={t("limits.new")}
        open={adding}
        onClose={() => setAdding(false)}
        submit={create}
        fields={FIELDS}
        submitLabel={t("common.create")}
      >
        <UserSelect users={users} error={create.fieldError("user_id")} defaultValue={userId} />
        <LimitFields submit={create} />
      </FormDialog>
      <FormDialog
        title={t("limits.editTitle")}
        open={editing !== null}
        onClose={() => setEditing(null)}
        submit={edit}
        fields={FIELDS}
        submitLabel={t("common.save")}
      >
        {editing && (
          <>
            <p className="muted">{name(editing.user_id)}</p>
            <LimitFields submit={edit} limit={editing} />
            <p className="hint">{t("limits.clearHint")}</p>
          </>
        )}
      </FormDialog>
    </>
  );
}
