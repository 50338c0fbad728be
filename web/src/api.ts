/** Where the app finds the API and the chain: /config.json, written by whoever serves the app. */
export interface AppConfig {
  api: string;
  rpc: string;
  /** The chain the deployment lives on: a wallet on any other is refused. */
  chainId: number;
}

let config: Promise<AppConfig> | undefined;

export function appConfig(): Promise<AppConfig> {
  config ??= getJson<AppConfig>('/config.json');
  return config;
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new Error(`${url}: HTTP ${response.status}${body.message ? ` (${body.message})` : ''}`);
  }
  return (await response.json()) as T;
}

export async function apiGet<T>(path: string): Promise<T> {
  return getJson<T>(`${(await appConfig()).api}${path}`);
}

/** The fields of GET /v1/protocol the pages use. */
export interface Protocol {
  chainId: number;
  blockNumber: number;
  contracts: Record<string, string>;
  indexes: Record<string, string>;
  signers: { operator: string; reserve?: string };
}
