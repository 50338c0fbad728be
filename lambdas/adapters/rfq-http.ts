import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { RfqTransport } from '../domain/quotes/rfq';

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * node:http(s) with keep-alive connections per PMM: cheaper per request than fetch, which matters
 * when every quote is an RFQ. Answers above 64 KiB are refused.
 */
export function httpTransport(options: { maxSockets?: number } = {}): RfqTransport {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 }), https: new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 }) };
  return (url, body, timeoutMs) =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith('https:');
      const request = (secure ? httpsRequest : httpRequest)(
        url,
        {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > 64 * 1024) request.destroy(new Error('answer larger than 64 KiB'));
            else chunks.push(chunk);
          });
          response.on('end', () => {
            clearTimeout(timer);
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
          });
          response.on('error', reject);
        },
      );
      const timer = setTimeout(() => request.destroy(new TimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
}

