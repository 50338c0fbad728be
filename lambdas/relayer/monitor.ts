import type { Relayer, RelayerLog, TickReport } from './relayer';

export interface MonitorResult {
  /** Stuck actions over every signer that could be checked. */
  readonly stuck: number;
  readonly reports: ReadonlyArray<{ role: string } & TickReport>;
  readonly errors: ReadonlyArray<{ role: string; error: string }>;
}

/** One tick per role signer; one signer's failure (its key, the chain) does not keep the others from their tick. */
export async function monitorRelayers(relayers: ReadonlyArray<{ role: string; relayer: Relayer }>, log: RelayerLog): Promise<MonitorResult> {
  const reports: Array<{ role: string } & TickReport> = [];
  const errors: Array<{ role: string; error: string }> = [];
  for (const { role, relayer } of relayers) {
    try {
      const report = await relayer.tick();
      reports.push({ role, ...report });
      log.info('relayer monitor tick', { role, ...report });
    } catch (error) {
      errors.push({ role, error: (error as Error).message });
      log.error('relayer monitor tick failed', { role, error: (error as Error).message });
    }
  }
  return { stuck: reports.reduce((sum, r) => sum + r.stuck, 0), reports, errors };
}
