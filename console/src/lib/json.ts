// Parsing what operators type into JSON fields, failing as a field error the form shows.
import { ApiError } from "../api/client";

/** `text` as a JSON object; an ApiError naming `field` when it is not one. Empty → `{}`. */
export function parseObject(text: string, field: string, message: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `${message} (${error instanceof Error ? error.message : String(error)})`, field);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new ApiError(400, message, field);
  return value as Record<string, unknown>;
}

/** A credential secret: a JSON object when it reads as one, else the trimmed string. */
export function parseSecret(text: string): string | Record<string, unknown> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const value: unknown = JSON.parse(trimmed);
      if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // Not JSON: a key that happens to start with a brace is sent as it is.
    }
  }
  return trimmed;
}
