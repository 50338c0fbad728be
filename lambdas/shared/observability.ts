import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The single place logger and metrics are made. Service name comes from the function's
 * POWERTOOLS_SERVICE_NAME (set per function by the CDK app and the local stack).
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ssi' });

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'SSI',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ssi',
});
