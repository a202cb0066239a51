// Previous / next over a cursor-paged collection (what usePaged returns).
import { useI18n } from "../i18n";
import type { Paged } from "../lib/hooks";

export function Pager({ page }: { page: Pick<Paged<unknown>, "pageNumber" | "hasPrevious" | "hasNext" | "previous" | "next"> }) {
  const { pageNumber, hasPrevious, hasNext, previous, next } = page;
  const { t } = useI18n();
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav className="pager" aria-label={t("common.pagination")}>
      <button type="button" className="small" onClick={previous} disabled={!hasPrevious}>
        ← {t("common.previous")}
      </button>
      <span className="muted">{t("common.page", { page: pageNumber })}</span>
      <button type="button" className="small" onClick={next} disabled={!hasNext}>
        {t("common.next")} →
      </button>
    </nav>
  );
}
