// "Test this credential": POST /admin/credentials/{id}/test sends one minimal request upstream
// with this credential (enabled or not) and shows what came back. The model is optional (the
// provider's first enabled model by default); the API's error shows next to the field.
import { useState } from "react";
import { api, type Schemas } from "../../api/client";
import { Badge } from "../../components/Badge";
import { Dialog } from "../../components/Dialog";
import { Field, FormActions, SubmitButton, text, useSubmit } from "../../components/forms";
import { useI18n } from "../../i18n";

type Result = Schemas["ProbeResult"];

export function CredentialTest({ id, name }: { id: string; name: string }) {
  const { t, fmt } = useI18n();
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState<Result | null>(null);
  const submit = useSubmit(async (form) => {
    setResult(null);
    const model = text(form, "model");
    setResult(await api.post("/admin/credentials/{id}/test", { path: { id }, body: model ? { model } : {} }));
  });
  const close = () => {
    setOpen(false);
    setResult(null);
    submit.reset();
  };

  return (
    <>
      <button type="button" className="small" onClick={() => setOpen(true)}>
        {t("credentials.test")}
      </button>
      <Dialog title={t("credentials.testTitle", { name })} open={open} onClose={close} wide>
        <form onSubmit={submit.onSubmit}>
          <Field label={t("credentials.testModel")} error={submit.fieldError("model")} hint={t("credentials.testModelHint")}>
            {(props) => <input {...props} name="model" maxLength={200} autoComplete="off" spellCheck={false} />}
          </Field>
          <FormActions error={submit.formError(["model"])}>
            <button type="button" onClick={close}>
              {t("common.close")}
            </button>
            <SubmitButton busy={submit.busy}>{t("credentials.testSend")}</SubmitButton>
          </FormActions>
        </form>
        {result && (
          <section className="probe-result" aria-live="polite" aria-label={t("credentials.testResult")}>
            <p>
              <Badge tone={result.ok ? "ok" : "bad"}>{result.ok ? t("credentials.testOk") : t("credentials.testFailed")}</Badge>{" "}
              {t("credentials.testSummary", {
                model: result.model,
                status: result.status ?? "—",
                latency: fmt.duration(result.latency_ms),
              })}
            </p>
            {result.ok ? (
              <>
                <h3>{t("credentials.testAnswer")}</h3>
                <pre className="code" tabIndex={0}>{result.answer || t("credentials.testEmpty")}</pre>
                <p className="muted">
                  {t("credentials.testTokens", {
                    input: fmt.number(result.input_tokens),
                    output: fmt.number(result.output_tokens),
                  })}
                </p>
              </>
            ) : (
              <pre className="code error-text" tabIndex={0}>{result.error}</pre>
            )}
          </section>
        )}
      </Dialog>
    </>
  );
}
