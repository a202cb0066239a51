// Permissions: which models a user may call (per provider, or every provider), filtered by user
// in the URL; a new permission, an edit of provider / model pattern, delete.
import { useState } from "react";
import { api, type Schemas } from "../../api/client";
import { DeleteButton } from "../../components/ConfirmButton";
import { TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Field, text, useSubmit, type Submit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { UserFilter, UserSelect, useUserFilter } from "../../components/UserPick";
import { useI18n } from "../../i18n";
import { useProviders, useUsers } from "../../lib/directory";
import { usePaged } from "../../lib/hooks";

type Permission = Schemas["PermissionView"];
const FIELDS = ["user_id", "provider", "model_pattern"] as const;

export function PermissionFields({ submit, permission }: { submit: Submit; permission?: Permission }) {
  const { t } = useI18n();
  const { providers } = useProviders();
  return (
    <>
      <Field label={t("usage.provider")} error={submit.fieldError("provider")}>
        {(props) => (
          <select {...props} name="provider" defaultValue={permission?.provider ?? ""}>
            <option value="">{t("perm.anyProvider")}</option>
            {providers.map((p) => (
              <option key={p.id} value={p.name}>
                {p.name}
              </option>
            ))}
            {permission?.provider && !providers.some((p) => p.name === permission.provider) && (
              <option value={permission.provider}>{permission.provider}</option>
            )}
          </select>
        )}
      </Field>
      <Field label={t("perm.modelPattern")} error={submit.fieldError("model_pattern")} hint={t("perm.modelPatternHint")}>
        {(props) => <input {...props} name="model_pattern" required defaultValue={permission?.model_pattern ?? "*"} autoComplete="off" />}
      </Field>
    </>
  );
}

export function Permissions() {
  const { t } = useI18n();
  const userId = useUserFilter();
  const { users, name } = useUsers();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Permission | null>(null);
  const page = usePaged((cursor, signal) => api.get("/admin/permissions", { query: { cursor, user_id: userId }, signal }), userId);

  const create = useSubmit(async (form) => {
    await api.post("/admin/permissions", {
      body: {
        user_id: String(form.get("user_id") ?? ""),
        provider: text(form, "provider") ?? null,
        model_pattern: text(form, "model_pattern") ?? "",
      },
    });
    setAdding(false);
    page.reload();
  });
  const edit = useSubmit(async (form) => {
    if (!editing) return;
    await api.patch("/admin/permissions/{id}", {
      path: { id: editing.id },
      body: { provider: text(form, "provider") ?? null, model_pattern: text(form, "model_pattern") ?? "" },
    });
    setEditing(null);
    page.reload();
  });

  return (
    <>
      <PageHeader title={t("perm.title")}>
        <button type="button" className="primary" onClick={() => setAdding(true)}>
          {t("perm.new")}
        </button>
      </PageHeader>
      <UserFilter users={users} />
      <p className="muted">{t("perm.intro")}</p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("usage.user")}</th>
              <th scope="col">{t("usage.provider")}</th>
              <th scope="col">{t("perm.modelPattern")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={4} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((p) => (
              <tr key={p.id}>
                <td>{name(p.user_id)}</td>
                <td>{p.provider ?? <span className="muted">{t("perm.anyProvider")}</span>}</td>
                <td>
                  <code>{p.model_pattern}</code>
                </td>
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => setEditing(p)}>
                    {t("common.edit")}
                  </button>
                  <DeleteButton
                    title={t("perm.deleteTitle")}
                    message={t("perm.deleteBody", { name: name(p.user_id), pattern: p.model_pattern })}
                    onConfirm={async () => {
                      await api.delete("/admin/permissions/{id}", { path: { id: p.id } });
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
        title={t("perm.new")}
        open={adding}
        onClose={() => setAdding(false)}
        submit={create}
        fields={FIELDS}
        submitLabel={t("common.create")}
      >
        <UserSelect users={users} error={create.fieldError("user_id")} defaultValue={userId} />
        <PermissionFields submit={create} />
      </FormDialog>
      <FormDialog
        title={t("perm.editTitle")}
        open={editing !== null}
        onClose={() => setEditing(null)}
        submit={edit}
        fields={FIELDS}
        submitLabel={t("common.save")}
      >
        {editing && (
          <>
            <p className="muted">{name(editing.user_id)}</p>
            <PermissionFields submit={edit} permission={editing} />
          </>
        )}
      </FormDialog>
    </>
  );
}
