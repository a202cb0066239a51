// The login page: name and password → POST /login (the gateway sets the session cookie).
import { useEffect } from "react";
import { useSession } from "../auth/session";
import { Field, FormActions, SubmitButton, useSubmit } from "../components/forms";
import { LanguageSwitch } from "../components/LanguageSwitch";
import { useI18n } from "../i18n";

const FIELDS = ["name", "password"] as const;

export function Login({ expired }: { expired: boolean }) {
  const { t } = useI18n();
  const { login } = useSession();
  const submit = useSubmit(async (form) => {
    await login(String(form.get("name") ?? "").trim(), String(form.get("password") ?? ""));
  });

  useEffect(() => {
    document.title = `${t("login.title")} · gproxy`;
  }, [t]);

  // A wrong name or password is a 401 naming no field: say it in the user's language.
  const error = submit.error;
  const formError = error && error.status === 401 ? null : submit.formError(FIELDS);

  return (
    <main className="login-page">
      <div className="login-lang">
        <LanguageSwitch />
      </div>
      <form className="card login-card" onSubmit={submit.onSubmit}>
        <h1>gproxy</h1>
        <p className="muted">{t("login.subtitle")}</p>
        {expired && (
          <p className="notice notice-warn" role="status">
            {t("login.expired")}
          </p>
        )}
        <Field label={t("login.name")} error={submit.fieldError("name")}>
          {(props) => <input {...props} name="name" autoComplete="username" required autoFocus />}
        </Field>
        <Field label={t("login.password")} error={submit.fieldError("password")}>
          {(props) => <input {...props} name="password" type="password" autoComplete="current-password" required />}
        </Field>
        {error && error.status === 401 && (
          <p className="notice notice-error" role="alert">
            {t("login.failed")}
          </p>
        )}
        <FormActions error={formError}>
          <SubmitButton busy={submit.busy}>{t("login.submit")}</SubmitButton>
        </FormActions>
      </form>
    </main>
  );
}
