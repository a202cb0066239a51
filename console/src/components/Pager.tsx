// Previous / next over a cursor-paged collection.
import { useI18n } from "../i18n";

export function Pager({
  pageNumber,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
}: {
  pageNumber: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious(): void;
  onNext(): void;
}) {
  const { t } = useI18n();
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav className="pager" aria-label={t("common.pagination")}>
      <button type="button" className="small" onClick={onPrevious} disabled={!hasPrevious}>
        ← {t("common.previous")}
      </button>
      <span className="muted">{t("common.page", { page: pageNumber })}</span>
      <button type="button" className="small" onClick={onNext} disabled={!hasNext}>
        {t("common.next")} →
      </button>
    </nav>
  );
}
