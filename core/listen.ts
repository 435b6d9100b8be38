/** Starts a server on `host:port` (port 0: any free one) and resolves the port it got. */
import type { Server } from 'node:net';
import { splitHostPort } from '../config/config.js';

export async function listenOn(server: Server, hostPort: string): Promise<number> {
  const { host, port } = splitHostPort(hostPort);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}
