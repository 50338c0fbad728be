import type { IncomingMessage } from 'node:http';

/**
 * Why a request to the stack's own `/_local/*` paths is refused, or undefined to serve it.
 * Those paths fire schedules and need no key, so a web page open in the developer's browser must
 * not reach them: the Host must be this server by a loopback name (no DNS rebinding), and a
 * browser's cross-origin request (an Origin of another site, or Sec-Fetch-Site: cross-site) is refused.
 */
export function localRouteRefusal(request: Pick<IncomingMessage, 'headers' | 'socket'>): string | undefined {
  const port = request.socket.localPort;
  const own = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const host = request.headers.host;
  if (!host || !own.has(host.toLowerCase())) return `host ${host ?? '(none)'} is not this local stack`;
  const origin = request.headers.origin;
  if (origin !== undefined && !own.has(origin.toLowerCase().replace(/^http:\/\//, ''))) return `cross-origin request from ${origin}`;
  if (request.headers['sec-fetch-site'] === 'cross-site') return 'cross-site request';
  return undefined;
}
