// A select of things by id (users, keys) for forms that start from a value: the value given
// may name a choice that has not loaded yet, or one past the first page of choices. It is
// kept (shown as `#id` until its choice arrives), so submitting the form never drops it, and
// the select is remounted once its choice arrives so that the choice shows by name.
import type { SelectHTMLAttributes } from "react";

export interface IdChoice {
  id: string;
  label: string;
}

type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, "defaultValue" | "children"> & {
  name: string;
  choices: IdChoice[];
  /** The first option, whose value is "" (e.g. "All"; disabled: a prompt to pick one). */
  none: { label: string; disabled?: boolean };
  defaultValue?: string;
};

export function IdSelect({ choices, none, defaultValue = "", ...props }: Props) {
  const known = choices.some((c) => c.id === defaultValue);
  return (
    <select {...props} defaultValue={defaultValue} key={known ? "known" : "pending"}>
      <option value="" disabled={none.disabled}>
        {none.label}
      </option>
      {choices.map((c) => (
        <option key={c.id} value={c.id}>
          {c.label}
        </option>
      ))}
      {defaultValue && !known && <option value={defaultValue}>#{defaultValue}</option>}
    </select>
  );
}
