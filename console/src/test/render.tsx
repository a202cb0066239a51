// Rendering a page as the app does: English messages and a router at `path`.
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter } from "react-router";
import { I18nProvider } from "../i18n";

export function renderPage(page: ReactElement, path = "/") {
  return render(
    <I18nProvider locale="en">
      <MemoryRouter initialEntries={[path]}>{page}</MemoryRouter>
    </I18nProvider>,
  );
}

export const emptyPage = () => new Response(JSON.stringify({ data: [], next_cursor: null }), { headers: { "content-type": "application/json" } });
