import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { tableName } from '../shared/config';
import { dynamo } from '../shared/aws';
import { logger } from '../shared/observability';
import { WLP_API_KEY_HEADER } from '../../topology';
import { ApiKeyDirectory, authorize, type AuthorizerResult } from '../quotes/api-keys';

const directory = new ApiKeyDirectory(dynamo(), tableName('wlp-keys'));

/**
 * HTTP API Lambda authorizer with simple responses; identity source `$request.header.x-api-key`
 * (API Gateway answers 401 itself when the header is missing). Unknown and disabled keys are
 * refused (403); API Gateway caches the answer per key for the TTL the API sets.
 */
export const handler = middy(async (event: APIGatewayRequestAuthorizerEventV2): Promise<AuthorizerResult> => {
  const key = event.identitySource?.[0] ?? event.headers?.[WLP_API_KEY_HEADER] ?? '';
  const result = authorize(await directory.lookup(key));
  if (!result.isAuthorized) logger.info('API key refused', { routeArn: event.routeArn });
  return result;
}).use(injectLambdaContext(logger, { resetKeys: true }));
