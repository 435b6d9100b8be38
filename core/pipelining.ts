/**
 * Keeps keep-alive and pipelined HTTP/1.1 requests on a TLS listener from being cut by Node's
 * own HTTP parser.
 *
 * Why: Node's HTTP server normally lets its native parser read straight from the socket's
 * native handle ("consumed" socket). When a request's headers arrive while an earlier answer on
 * the same connection is still draining, the server pauses the parser and stops reading the
 * handle — but a TLS handle keeps delivering the records it has already decrypted (the rest of
 * that request's body, the next request). The paused parser refuses them with HPE_PAUSED, which
 * reaches 'clientError' as a parse error, and the connection is destroyed: the client sees a
 * reset (or a 400) for a request it sent correctly. Observed on Node 20 with vendor B's 100-record
 * calls (bodies of many TLS records, ~35 kB answers) under keep-alive load.
 *
 * The fix: make the parser read through the socket's stream instead. Node does this by itself
 * ("unconsume") as soon as anyone listens for 'data' on a server socket; the stream then buffers
 * whatever arrives while paused and hands it to the parser after the answer has drained, which
 * is exactly the back-pressure Node intends. The cost is one stream event per chunk read.
 */
import type { Server as TlsServer, TLSSocket } from 'node:tls';

const noop = (): void => undefined;

/** Call once on an https.Server, after creating it (Node's connection listener must run first). */
export function keepPipelinedRequests(server: TlsServer): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    socket.on('data', noop);
  });
}
