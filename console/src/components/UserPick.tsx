// Choosing a user: a select of the first 500 users (by name) for forms, and the `?user_id=`
// filter kept in the URL for the per-user lists (permissions, rate limits, quotas).
import { useSearchParams } from "react-router";
import { useI18n } from "../i18n";
import { Field } from "./forms";
import { IdSelect } from "./IdSelect";

export interface UserChoice {
  id: string;
  name: string;
}

/** A required user select for a create form (field `user_id`). */
export function UserSelect({ users, error, defaultValue }: { users: UserChoice[]; error?: string; defaultValue?: string }) {
  const { t } = useI18n();
  return (
    <Field label={t("usage.user")} error={error}>
      {(props) => (
        <IdSelect
          {...props}
          name="user_id"
          required
          defaultValue={defaultValue}
          none={{ label: t("common.pickUser"), disabled: true }}
          choices={users.map((u) => ({ id: u.id, label: u.name }))}
        />
      )}
    </Field>
  );
}

/** The `user_id` filter of the URL, and a form row that sets it. */
export function useUserFilter(): string {
  const [params] = useSearchParams();
  return params.get("user_id") ?? "";
}

export function UserFilter({ users }: { users: UserChoice[] }) {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const value = params.get("user_id") ?? "";
  return (
    <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
      <Field label={t("usage.user")}>
        {(props) => (
          <select {...props} value={value} onChange={(event) => setParams(event.target.value ? { user_id: event.target.value } : {})}>
            <option value="">{t("common.all")}</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
            {value && !users.some((u) => u.id === value) && <option value={value}>#{value}</option>}
          </select>
        )}
      </Field>
    </form>
  );
}
