// The channel kinds the gateway ships (gproxy-channels `ChannelKind::ALL`) and their default
// upstreams, for the provider form's select and hint.
export const CHANNELS = ["openai", "anthropic", "aistudio", "deepseek", "nvidia", "custom"] as const;

export const DEFAULT_BASE_URL: Record<string, string | undefined> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com",
  aistudio: "https://generativelanguage.googleapis.com",
  deepseek: "https://api.deepseek.com",
  nvidia: "https://integrate.api.nvidia.com/v1",
  custom: undefined,
};
