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

/** A reply the API refused with a status, kept so a page can tell "not found" from a failure. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json', ...headers } });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new HttpError(`${url}: HTTP ${response.status}${body.message ? ` (${body.message})` : ''}`, response.status);
  }
  return (await response.json()) as T;
}

export async function apiGet<T>(path: string): Promise<T> {
  return getJson<T>(`${(await appConfig()).api}${path}`);
}

/** GET of an API path, or null when the API answers 404 (nothing recorded yet). */
export async function apiFind<T>(path: string): Promise<T | null> {
  try {
    return await apiGet<T>(path);
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) return null;
    throw error;
  }
}

/** The fields of GET /v1/protocol the pages use. */
export interface Protocol {
  chainId: number;
  blockNumber: number;
  contracts: Record<string, string>;
  indexes: Record<string, string>;
  signers: { operator: string; reserve?: string };
}
