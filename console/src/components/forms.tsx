// Forms: a submit helper that turns the gateway's `{error, field}` into a message shown next to
// the field at fault (or above the buttons when no field of the form is named), and labelled,
// described inputs.
import { useCallback, useId, useState, type FormEvent, type ReactNode } from "react";
import { toApiError, type ApiError } from "../api/client";
import { useI18n } from "../i18n";
import { ErrorNotice } from "./feedback";

export interface Submit {
  busy: boolean;
  error: ApiError | null;
  /** The message for `field` when the last failure named it. */
  fieldError(field: string): string | undefined;
  /** The failure when it named no field of `fields` (shown once, above the buttons). */
  formError(fields: readonly string[]): ApiError | null;
  onSubmit(event: FormEvent<HTMLFormElement>): void;
  reset(): void;
}

/** Runs `action` with the form's values on submit; keeps the failure for the fields to show. */
export function useSubmit(action: (form: FormData, element: HTMLFormElement) => Promise<void>): Submit {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const onSubmit = useCallback(
    (event: FormEvent<HTMLFormElement>) => {
      event.preventDefault();
      const element = event.currentTarget;
      setBusy(true);
      setError(null);
      action(new FormData(element), element)
        .catch((failure: unknown) => {
          setError(toApiError(failure));
        })
        .finally(() => setBusy(false));
    },
    [action],
  );
  return {
    busy,
    error,
    fieldError: (field) => (error && error.field === field ? error.message : undefined),
    formError: (fields) => (error && !(error.field && fields.includes(error.field)) ? error : null),
    onSubmit,
    reset: () => setError(null),
  };
}

interface FieldProps {
  label: string;
  /** The control; receives the id, the described-by ids and the invalid flag. */
  children: (props: { id: string; "aria-describedby"?: string; "aria-invalid"?: boolean }) => ReactNode;
  hint?: string;
  error?: string;
  className?: string;
}

/** A label, a control, an optional hint and the error for it, wired for screen readers. */
export function Field({ label, children, hint, error, className }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-describedby": describedBy, "aria-invalid": error ? true : undefined })}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={errorId} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/** A checkbox with its label to the right. */
export function Checkbox({
  label,
  name,
  defaultChecked,
  error,
}: {
  label: string;
  name: string;
  defaultChecked?: boolean;
  error?: string;
}) {
  const id = useId();
  return (
    <div className={`field field-check${error ? " field-invalid" : ""}`}>
      <input type="checkbox" id={id} name={name} defaultChecked={defaultChecked} aria-invalid={error ? true : undefined} />
      <label htmlFor={id}>{label}</label>
      {error && (
        <small className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/** The buttons row of a form, with its unattributed error above it. */
export function FormActions({ error, children }: { error: ApiError | null; children: ReactNode }) {
  return (
    <>
      {error && <ErrorNotice error={error} />}
      <div className="form-actions">{children}</div>
    </>
  );
}

/** A submit button that says it is working. */
export function SubmitButton({ busy, children }: { busy: boolean; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <button type="submit" className="primary" disabled={busy} aria-busy={busy || undefined}>
      {busy ? t("common.working") : children}
    </button>
  );
}

/** The trimmed text of a form field; undefined when empty. */
export function text(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** A checkbox's state. */
export function checked(form: FormData, name: string): boolean {
  return form.get(name) === "on";
}

/** A `datetime-local` value (the browser's time zone) as RFC 3339 UTC; undefined when empty. */
export function localTimeToRfc3339(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toISOString();
}
