import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { json, type HttpReply } from './http';

type RouteHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpReply>;

/**
 * One Lambda serving several routes: dispatches on API Gateway's routeKey ("GET /v1/indexes").
 * Keys must be the topology's routes for this function; a key it does not know is a 404.
 */
export function byRoute(routes: Record<string, RouteHandler>) {
  return async (event: APIGatewayProxyEventV2, context: Context): Promise<HttpReply> => {
    const route = routes[event.routeKey];
    if (!route) return json(404, { error: 'not_found', message: `no route ${event.routeKey}` });
    return route(event, context);
  };
}
