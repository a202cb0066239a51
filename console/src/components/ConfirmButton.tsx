// A button whose action waits for a confirmation dialog (deletes, resets), showing the
// action's error in the dialog when it fails.
import { useState, type ReactNode } from "react";
import { toApiError, type ApiError } from "../api/client";
import { useI18n } from "../i18n";
import { Dialog } from "./Dialog";
import { ErrorNotice } from "./feedback";

export function ConfirmButton({
  label,
  title,
  message,
  confirmLabel,
  onConfirm,
  danger,
  className,
}: {
  label: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  onConfirm(): Promise<unknown>;
  danger?: boolean;
  className?: string;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setOpen(false);
    } catch (failure) {
      setError(toApiError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button
        type="button"
        className={className ?? (danger ? "danger small" : "small")}
        onClick={() => {
          setError(null);
          setOpen(true);
        }}
      >
        {label}
      </button>
      <Dialog title={title} open={open} onClose={() => setOpen(false)}>
        <p>{message}</p>
        {error && <ErrorNotice error={error} />}
        <div className="form-actions">
          <button type="button" onClick={() => setOpen(false)}>
            {t("common.cancel")}
          </button>
          <button type="button" className={danger ? "danger" : "primary"} onClick={confirm} disabled={busy} autoFocus>
            {busy ? t("common.working") : (confirmLabel ?? t("common.confirm"))}
          </button>
        </div>
      </Dialog>
    </>
  );
}

/** A delete: a danger button labelled Delete, confirmed in a dialog by a button so labelled. */
export function DeleteButton(props: { title: string; message: ReactNode; onConfirm(): Promise<unknown>; className?: string }) {
  const { t } = useI18n();
  return <ConfirmButton danger label={t("common.delete")} confirmLabel={t("common.delete")} {...props} />;
}
