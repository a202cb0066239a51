// Loading data from the API into components: one call (useApi) or a cursor-paged collection
// (usePaged), each cancelled when its inputs change or the component goes away.
import { useCallback, useEffect, useRef, useState } from "react";
import { toApiError, type ApiError, type Page } from "../api/client";

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  /** Run the call again (after a write). */
  reload(): void;
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

/**
 * The result of `load`, re-run whenever `key` changes. `key` stands for everything `load`
 * depends on (a JSON string of the filters, say), so callers need not memoize `load`.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted || isAbort(failure)) return;
        setError(toApiError(failure));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, generation]);

  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { data, error, loading, reload };
}

export interface Paged<T> extends Loaded<Page<T>> {
  rows: T[];
  /** 1-based number of the page shown. */
  pageNumber: number;
  hasNext: boolean;
  hasPrevious: boolean;
  next(): void;
  previous(): void;
}

/**
 * A cursor-paged collection: the server pages and filters, the client keeps the cursors it
 * has walked so "previous" needs no offset. Changing `key` (the filters) starts at page one.
 */
export function usePaged<T>(
  load: (cursor: string | undefined, signal: AbortSignal) => Promise<Page<T>>,
  key: string,
): Paged<T> {
  // cursors[i] is the cursor that fetches page i + 1 (undefined for the first page).
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [walkedKey, setWalkedKey] = useState(key);
  if (walkedKey !== key) {
    setWalkedKey(key);
    setCursors([undefined]);
  }
  const cursor = walkedKey === key ? cursors[cursors.length - 1] : undefined;
  const loaded = useApi((signal) => load(cursor, signal), `${key}\u0000${cursor ?? ""}`);
  const nextCursor = loaded.data?.next_cursor ?? null;
  return {
    ...loaded,
    rows: loaded.data?.data ?? [],
    pageNumber: cursors.length,
    hasNext: !loaded.loading && nextCursor !== null,
    hasPrevious: cursors.length > 1,
    next: () => {
      if (nextCursor !== null) setCursors((walked) => [...walked, nextCursor]);
    },
    previous: () => setCursors((walked) => (walked.length > 1 ? walked.slice(0, -1) : walked)),
  };
}
