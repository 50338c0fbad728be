import type { RelayerPort } from '../relayer/port';

export type { RelayerPort };

/**
 * What the reserve publisher and the mint breaker need of the outside world. Kept apart from both
 * so that neither imports the other for a type (issue 21: no import cycles).
 */

/** What the publisher needs of a signer (KmsSigner): EIP-191 over raw bytes. */
export interface ReportSigner {
  getAddress(): Promise<string>;
  signMessage(message: Uint8Array): Promise<string>;
}

/**
 * Receives the deficit alarm metric (Powertools metrics in the Lambda, a recorder in tests):
 * the number of the index's assets in deficit (the vault holds less than all indexes owe in it).
 */
export type DeficitSink = (symbol: string, assetsInDeficit: number) => void;
