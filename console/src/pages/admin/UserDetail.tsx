// One user: their settings (name, new password, admin, enabled) and their API keys.
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api } from "../../api/client";
import { EnabledBadge } from "../../components/Badge";
import { ConfirmButton } from "../../components/ConfirmButton";
import { ErrorNotice, Loading } from "../../components/feedback";
import { Checkbox, Field, FormActions, SubmitButton, checked, text, useSubmit } from "../../components/forms";
import { KeysPanel } from "../../components/KeysPanel";
import { PageHeader } from "../../components/PageHeader";
import { useI18n } from "../../i18n";
import { useApi } from "../../lib/hooks";

const FIELDS = ["name", "password", "is_admin", "enabled"] as const;

export function UserDetail() {
  const { id = "" } = useParams();
  const { t, fmt } = useI18n();
  const navigate = useNavigate();
  const user = useApi((signal) => api.get("/admin/users/{id}", { path: { id }, signal }), id);
  const [saved, setSaved] = useState(false);

  const submit = useSubmit(async (form, element) => {
    setSaved(false);
    const password = String(form.get("password") ?? "");
    await api.patch("/admin/users/{id}", {
      path: { id },
      body: {
        name: text(form, "name") ?? "",
        is_admin: checked(form, "is_admin"),
        enabled: checked(form, "enabled"),
        ...(password ? { password } : {}),
      },
    });
    const passwordInput = element.elements.namedItem("password");
    if (passwordInput instanceof HTMLInputElement) passwordInput.value = "";
    setSaved(true);
    user.reload();
  });

  if (user.error) return <ErrorNotice error={user.error} />;
  if (!user.data) return <Loading />;
  const u = user.data;

  return (
    <>
      <p className="breadcrumb">
        <Link to="/users">← {t("users.title")}</Link>
      </p>
      <PageHeader title={u.name}>
        <EnabledBadge enabled={u.enabled} />
        <ConfirmButton
          danger
          label={t("users.delete")}
          title={t("users.deleteTitle")}
          message={t("users.deleteBody", { name: u.name })}
          confirmLabel={t("common.delete")}
          onConfirm={async () => {
            await api.delete("/admin/users/{id}", { path: { id } });
            navigate("/users");
          }}
        />
      </PageHeader>
      <p className="muted">
        {t("common.id")}: <code>{u.id}</code> · {t("common.created")}: {fmt.dateTime(u.created_at)}
      </p>
      <section className="card" aria-labelledby="user-settings">
        <h2 id="user-settings">{t("users.settings")}</h2>
        {/* Keyed by the loaded row so a save shows the stored values. */}
        <form key={`${u.name}|${u.is_admin}|${u.enabled}`} onSubmit={submit.onSubmit} className="form-grid">
          <Field label={t("users.name")} error={submit.fieldError("name")}>
            {(props) => <input {...props} name="name" defaultValue={u.name} required maxLength={64} />}
          </Field>
          <Field label={t("users.newPassword")} error={submit.fieldError("password")} hint={t("users.newPasswordHint")}>
            {(props) => <input {...props} name="password" type="password" autoComplete="new-password" />}
          </Field>
          <Checkbox label={t("users.isAdmin")} name="is_admin" defaultChecked={u.is_admin} error={submit.fieldError("is_admin")} />
          <Checkbox label={t("common.enabled")} name="enabled" defaultChecked={u.enabled} error={submit.fieldError("enabled")} />
          <FormActions error={submit.formError(FIELDS)}>
            {saved && (
              <span className="muted" role="status">
                {t("common.saved")}
              </span>
            )}
            <SubmitButton busy={submit.busy}>{t("common.save")}</SubmitButton>
          </FormActions>
        </form>
      </section>
      <KeysPanel scope={{ kind: "admin", userId: id }} />
    </>
  );
}
