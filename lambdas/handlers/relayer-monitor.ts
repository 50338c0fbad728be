import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ALARM_METRICS, KEYS } from '../../topology';
import { scheduledHandler } from '../shared/http';
import { logger, metrics } from '../shared/observability';
import { relayerFor } from '../relayer';
import { monitorRelayers } from '../relayer/monitor';

/**
 * Every minute: one tick of each role's relayer (confirmations, fee-bump replacements, nonce gap
 * fills, reconciliation), then the RelayerStuckTransactions metric the stuck-transaction alarm reads.
 */
export const handler = scheduledHandler(async () => {
  const result = await monitorRelayers(
    KEYS.filter((key) => !('signsOnly' in key && key.signsOnly) && !('operatorOnly' in key && key.operatorOnly)).map((key) => ({ role: key.role, relayer: relayerFor(key.role) })),
    logger,
  );
  // The alarm matches the metric's exact dimensions (ALARM_METRICS): none, so no service dimension.
  const stuck = metrics.singleMetric();
  stuck.clearDefaultDimensions();
  stuck.addMetric(ALARM_METRICS.relayerStuckTransactions.name, MetricUnit.Count, result.stuck);
  metrics.addMetric('RelayerMonitorErrors', MetricUnit.Count, result.errors.length);
  metrics.publishStoredMetrics();
  if (result.errors.length) throw new Error(`relayer monitor: ${result.errors.map((e) => `${e.role}: ${e.error}`).join('; ')}`);
  return result;
});
