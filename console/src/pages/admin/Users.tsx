// Users: the list (paged, filtered by exact name), a new user, enable/disable and delete.
import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { api, toApiError, type ApiError } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { DeleteButton } from "../../components/ConfirmButton";
import { ErrorNotice, TableState } from "../../components/feedback";
import { FormDialog } from "../../components/FormDialog";
import { Checkbox, Field, checked, text, useSubmit } from "../../components/forms";
import { PageHeader } from "../../components/PageHeader";
import { Pager } from "../../components/Pager";
import { useI18n } from "../../i18n";
import { usePaged } from "../../lib/hooks";

const FIELDS = ["name", "password", "is_admin", "enabled"] as const;

export function Users() {
  const { t, fmt } = useI18n();
  const navigate = useNavigate();
  const [name, setName] = useState("");
  const [creating, setCreating] = useState(false);
  const [rowError, setRowError] = useState<ApiError | null>(null);
  const page = usePaged(
    (cursor, signal) => api.get("/admin/users", { query: { cursor, name }, signal }),
    name,
  );

  const submit = useSubmit(async (form) => {
    const user = await api.post("/admin/users", {
      body: {
        name: text(form, "name") ?? "",
        password: String(form.get("password") ?? ""),
        is_admin: checked(form, "is_admin"),
        enabled: checked(form, "enabled"),
      },
    });
    setCreating(false);
    navigate(`/users/${encodeURIComponent(user.id)}`);
  });

  const setEnabled = async (id: string, enabled: boolean) => {
    setRowError(null);
    try {
      await api.patch("/admin/users/{id}", { path: { id }, body: { enabled } });
      page.reload();
    } catch (error) {
      setRowError(toApiError(error));
    }
  };

  return (
    <>
      <PageHeader title={t("users.title")}>
        <button type="button" className="primary" onClick={() => setCreating(true)}>
          {t("users.new")}
        </button>
      </PageHeader>
      <form
        className="filters"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setName(String(new FormData(event.currentTarget).get("name") ?? "").trim());
        }}
      >
        <Field label={t("users.filterName")}>{(props) => <input {...props} name="name" defaultValue={name} />}</Field>
        <div className="filter-actions">
          <button type="submit">{t("common.apply")}</button>
        </div>
      </form>
      {rowError && <ErrorNotice error={rowError} />}
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("users.name")}</th>
              <th scope="col">{t("users.role")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">{t("common.created")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            <TableState colSpan={5} loading={page.loading} error={page.error} empty={page.rows.length === 0} />
            {page.rows.map((user) => (
              <tr key={user.id}>
                <td>
                  <Link to={`/users/${encodeURIComponent(user.id)}`}>{user.name}</Link>
                </td>
                <td>{user.is_admin ? t("users.admin") : t("users.user")}</td>
                <td>
                  <EnabledBadge enabled={user.enabled} />
                </td>
                <td>{fmt.dateTime(user.created_at)}</td>
                <td className="row-actions">
                  <button type="button" className="small" onClick={() => void setEnabled(user.id, !user.enabled)}>
                    {user.enabled ? t("common.disable") : t("common.enable")}
                  </button>
                  <DeleteButton
                    title={t("users.deleteTitle")}
                    message={t("users.deleteBody", { name: user.name })}
                    onConfirm={async () => {
                      await api.delete("/admin/users/{id}", { path: { id: user.id } });
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
        title={t("users.new")}
        open={creating}
        onClose={() => setCreating(false)}
        submit={submit}
        fields={FIELDS}
        submitLabel={t("users.create")}
      >
        <Field label={t("users.name")} error={submit.fieldError("name")}>
          {(props) => <input {...props} name="name" required maxLength={64} autoComplete="off" autoFocus />}
        </Field>
        <Field label={t("users.password")} error={submit.fieldError("password")} hint={t("users.passwordHint")}>
          {(props) => <input {...props} name="password" type="password" required autoComplete="new-password" />}
        </Field>
        <Checkbox label={t("users.isAdmin")} name="is_admin" error={submit.fieldError("is_admin")} />
        <Checkbox label={t("common.enabled")} name="enabled" defaultChecked error={submit.fieldError("enabled")} />
      </FormDialog>
    </>
  );
}
