import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ALARM_METRICS } from '../../topology';
import { metrics } from '../shared/observability';
import type { DeficitSink } from './ports';

/**
 * The ReserveDeficit alarm metric through Powertools (EMF on stdout), with exactly the declared
 * dimensions (Index) and no service dimension. Value: the number of the index's assets whose
 * vault balance is below what all indexes owe, the quantity the alarm threshold
 * (`reserveDeficitAssetsThreshold`) counts; 0 when fully reserved, so the graph shows every day.
 */
export const powertoolsDeficitSink: DeficitSink = (symbol, assetsInDeficit) => {
  const single = metrics.singleMetric();
  single.clearDefaultDimensions();
  single.addDimension(ALARM_METRICS.reserveDeficit.dimensions[0], symbol);
  single.addMetric(ALARM_METRICS.reserveDeficit.name, MetricUnit.Count, assetsInDeficit);
};
