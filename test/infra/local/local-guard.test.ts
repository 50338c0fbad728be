import type { IncomingMessage } from 'node:http';
import { localRouteRefusal } from '../../../infra/local/local-guard';

function request(headers: IncomingMessage['headers']) {
  return { headers, socket: { localPort: 31300 } } as unknown as IncomingMessage;
}

describe('the /_local/* guard (issue 19 item 15)', () => {
  test('_local routes accept requests from any web page: a cross-site browser request is refused', () => {
    expect(localRouteRefusal(request({ host: '127.0.0.1:31300', origin: 'https://evil.example' }))).toMatch(/cross-origin/);
    expect(localRouteRefusal(request({ host: '127.0.0.1:31300', 'sec-fetch-site': 'cross-site' }))).toMatch(/cross-site/);
    expect(localRouteRefusal(request({ host: 'evil.example:31300' }))).toMatch(/not this local stack/);
    expect(localRouteRefusal(request({ host: '127.0.0.1:8080' }))).toMatch(/not this local stack/);
  });

  test('the CLI, curl and a page served by the stack itself still reach them', () => {
    expect(localRouteRefusal(request({ host: '127.0.0.1:31300' }))).toBeUndefined();
    expect(localRouteRefusal(request({ host: 'localhost:31300', origin: 'http://localhost:31300', 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
  });
});
