// A dialog holding one form: Cancel and the submit button at its foot, the API's error that
// names no field of `fields` above them (field errors show at their fields). Closing it in
// any way (Cancel, ×, Escape) calls `onClose` and clears the form's error.
import type { ReactNode } from "react";
import { useI18n } from "../i18n";
import { Dialog } from "./Dialog";
import { FormActions, SubmitButton, type Submit } from "./forms";

export function FormDialog({
  title,
  open,
  onClose,
  submit,
  fields,
  submitLabel,
  wide,
  children,
}: {
  title: string;
  open: boolean;
  onClose(): void;
  submit: Submit;
  fields: readonly string[];
  submitLabel: string;
  wide?: boolean;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const close = () => {
    onClose();
    submit.reset();
  };
  return (
    <Dialog title={title} open={open} onClose={close} wide={wide}>
      <form onSubmit={submit.onSubmit}>
        {children}
        <FormActions error={submit.formError(fields)}>
          <button type="button" onClick={close}>
            {t("common.cancel")}
          </button>
          <SubmitButton busy={submit.busy}>{submitLabel}</SubmitButton>
        </FormActions>
      </form>
    </Dialog>
  );
}
