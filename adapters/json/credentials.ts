import type { IncomingMessage } from 'node:http';
import type { PresentedCredentials } from '../types.js';

/** Credentials a JSON caller presents: the X-Connection-Key header or a bearer token. */
export function jsonCredentials(headers: IncomingMessage['headers']): PresentedCredentials {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ')) return { bearer: auth.slice(7).trim() };
  const key = headers['x-connection-key'];
  return { key: typeof key === 'string' ? key : undefined, unitCode: typeof headers['x-ma-don-vi'] === 'string' ? headers['x-ma-don-vi'] : undefined };
}
