// How the console reports: errors (the gateway's message, or a translated one for the
// failures it cannot word), loading states and empty lists.
import type { ApiError } from "../api/client";
import { useI18n } from "../i18n";

/** The message to show for a failed call, in the user's language where the gateway's is generic. */
export function useErrorText(): (error: ApiError) => string {
  const { t } = useI18n();
  return (error) => {
    if (error.status === 0) return t("error.network");
    if (error.status === 403) return t("error.forbidden");
    if (error.status === 429)
      return error.retryAfter !== null ? t("error.tooManyRetry", { seconds: error.retryAfter }) : t("error.tooMany");
    if (error.status >= 500) return t("error.server", { status: error.status, message: error.message });
    return error.message;
  };
}

export function ErrorNotice({ error }: { error: ApiError }) {
  const describe = useErrorText();
  return (
    <p className="notice notice-error" role="alert">
      {describe(error)}
    </p>
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="muted" role="status" aria-live="polite">
      {t("common.loading")}
    </p>
  );
}

/** A table's body when it has no rows (or is still loading / failed). */
export function TableState({
  colSpan,
  loading,
  error,
  empty,
}: {
  colSpan: number;
  loading: boolean;
  error: ApiError | null;
  empty: boolean;
}) {
  const { t } = useI18n();
  if (error)
    return (
      <tr>
        <td colSpan={colSpan}>
          <ErrorNotice error={error} />
        </td>
      </tr>
    );
  if (loading && empty)
    return (
      <tr>
        <td colSpan={colSpan} className="muted" role="status">
          {t("common.loading")}
        </td>
      </tr>
    );
  if (empty)
    return (
      <tr>
        <td colSpan={colSpan} className="muted">
          {t("common.empty")}
        </td>
      </tr>
    );
  return null;
}
