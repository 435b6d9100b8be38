/**
 * A real "hung Redis" for tests: a TCP server on 127.0.0.1:0 in front of the machine's Redis.
 * While it answers it forwards bytes both ways; while hung it keeps accepting connections and
 * reading commands, but nothing reaches Redis and nothing comes back (as a Redis paused by
 * SIGSTOP, swapping, or behind a black-holed network path). When the hang ends, the held bytes
 * flow on in order, as the kernel would deliver them to a Redis that resumes.
 *
 * It counts what it receives while hung (connections, and the name of every command), so a test
 * can show that callers stopped talking to it instead of paying a timeout per request.
 */
import net from 'node:net';
import { REDIS_URL } from './env.js';

export interface HungRedis {
  url: string;
  /** Stop answering: connections are still accepted and read, nothing is forwarded either way. */
  hang(): void;
  /** The hang ends: held bytes are delivered in order and forwarding resumes. */
  answer(): void;
  /** What arrived while hung: connections accepted and the command names received (upper case). */
  seenWhileHung(): { connections: number; commands: string[] };
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  toUpstream: Buffer[];
  toClient: Buffer[];
  parse: (chunk: Buffer) => string[];
}

export async function hungRedis(options: { hung?: boolean } = {}): Promise<HungRedis> {
  const target = new URL(REDIS_URL);
  const pairs = new Set<Pair>();
  let hung = options.hung ?? false;
  let connections = 0;
  const commands: string[] = [];

  const server = net.createServer((client) => {
    if (hung) connections += 1;
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    const pair: Pair = { client, upstream, toUpstream: [], toClient: [], parse: commandNames() };
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      const names = pair.parse(chunk);
      if (hung) {
        commands.push(...names);
        pair.toUpstream.push(chunk);
      } else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (hung) pair.toClient.push(chunk);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    url: `redis://127.0.0.1:${port}`,
    hang() {
      hung = true;
      connections = 0;
      commands.length = 0;
    },
    answer() {
      hung = false;
      for (const p of pairs) {
        for (const chunk of p.toUpstream.splice(0)) p.upstream.write(chunk);
        for (const chunk of p.toClient.splice(0)) p.client.write(chunk);
      }
    },
    seenWhileHung: () => ({ connections, commands: [...commands] }),
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An incremental RESP reader of client → server bytes: returns the names of the complete commands in each chunk. */
function commandNames(): (chunk: Buffer) => string[] {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    const names: string[] = [];
    let pos = 0;
    outer: while (pos < buf.length) {
      const eol = buf.indexOf('\r\n', pos);
      if (eol < 0) break;
      if (buf[pos] !== 0x2a /* '*' */) {
        // An inline command (one line of words).
        names.push(buf.toString('latin1', pos, eol).trim().split(/\s+/)[0].toUpperCase());
        pos = eol + 2;
        continue;
      }
      const count = Number(buf.toString('latin1', pos + 1, eol));
      let p = eol + 2;
      let name = '';
      for (let i = 0; i < count; i++) {
        const e = buf.indexOf('\r\n', p);
        if (e < 0) break outer;
        const len = Number(buf.toString('latin1', p + 1, e));
        if (e + 2 + len + 2 > buf.length) break outer;
        if (i === 0) name = buf.toString('latin1', e + 2, e + 2 + len).toUpperCase();
        p = e + 2 + len + 2;
      }
      names.push(name);
      pos = p;
    }
    buf = buf.subarray(pos);
    return names;
  };
}
