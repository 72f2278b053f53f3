/**
 * The SUNSUBSCRIBE a Redis 7 cluster node sends by itself when a shard channel's slot leaves it answers
 * no command. Here an in-process server sends it exactly while a PING is in flight (the PING's own
 * reply right behind it): the PING must get its own reply, the notice must reach the subscription layer,
 * and a SUNSUBSCRIBE the client did send must still be answered by its confirmation.
 */
import { Client } from '../lib/client';
import { Connection, type ConnectionListener } from '../lib/connection/connection';
import { resolveOptions } from '../lib/connection/options';
import { CommandFlags } from '../lib/connection/pending-command';
import { SubscriberFrames } from '../lib/connection/reply-modes';
import type { RespValue } from '../lib/resp/types';
import { EmbeddedServer } from '../lib/testing';
import { eventually } from './support/wait';

let server: EmbeddedServer;
const connections: Connection[] = [];
const clients: Client[] = [];
beforeEach(async () => {
  server = new EmbeddedServer();
  await server.start();
});
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.disconnect();
  for (const client of clients.splice(0)) client.disconnect();
  await server.stop();
});

const bulk = (text: string): string => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
/** A (un)subscribe confirmation, as an array (RESP2) or a push (RESP3). */
const confirmation = (kind: string, channel: string, count: number, push: boolean): string =>
  `${push ? '>' : '*'}3\r\n${bulk(kind)}${bulk(channel)}:${count}\r\n`;
const RESP2_PONG = `*2\r\n${bulk('pong')}${bulk('')}`;

/** A subscriber-mode Connection on the server, recording what reaches its hooks. */
function subscriberConnection(protocol: 2 | 3): {
  connection: Connection;
  dropped: string[];
  errors: Error[];
} {
  const dropped: string[] = [];
  const errors: Error[] = [];
  const listener: ConnectionListener = {
    onReady: () => undefined,
    onError: (error) => errors.push(error),
    onReconnecting: () => undefined,
    onClose: () => undefined,
    onEnd: () => undefined,
    onPush: () => undefined,
  };
  const connection = new Connection(
    resolveOptions(server.url, { protocol, heartbeatInterval: 0 }),
    listener,
    (sink) =>
      new SubscriberFrames(sink, {
        wantsBuffers: () => false,
        onMessage: () => undefined,
        onShardDropped: (channel) => dropped.push(channel),
      }),
  );
  connections.push(connection);
  return { connection, dropped, errors };
}

describe.each([2, 3] as const)('a server-initiated SUNSUBSCRIBE under RESP%i', (protocol) => {
  const push = protocol === 3;
  const pong = push ? '+PONG\r\n' : RESP2_PONG;

  it('arriving while a PING is in flight answers nothing: the PING gets its own reply', async () => {
    const { connection, dropped, errors } = subscriberConnection(protocol);
    await connection.connect();
    server.respondWith((command) =>
      command.name === 'ping'
        ? Buffer.from(confirmation('sunsubscribe', '{s}moved', 0, push) + pong)
        : undefined,
    );
    const reply = await connection.send(['PING'], CommandFlags.None);
    expect(reply).toEqual(push ? 'PONG' : ['pong', '']);
    expect(dropped).toEqual(['{s}moved']);
    expect(errors).toEqual([]);
    // Still in step: the next command gets its own reply.
    server.respondWith(undefined);
    expect(await connection.send(['ECHO', 'next'], CommandFlags.None)).toBe('next');
  });

  it("a SUNSUBSCRIBE of the client's own is answered by its confirmation; another channel's is the server's", async () => {
    const { connection, dropped, errors } = subscriberConnection(protocol);
    await connection.connect();
    server.respondWith((command) =>
      command.name === 'sunsubscribe'
        ? Buffer.from(
            // The server's notice for another channel first, then this command's confirmation.
            confirmation('sunsubscribe', '{s}other', 1, push) +
              confirmation('sunsubscribe', String(command.args[0]), 0, push),
          )
        : undefined,
    );
    const reply: RespValue = await connection.send(['SUNSUBSCRIBE', '{s}mine'], CommandFlags.ReadOnly);
    expect(reply).toEqual(['sunsubscribe', '{s}mine', 0]);
    expect(dropped).toEqual(['{s}other']);
    expect(errors).toEqual([]);
  });
});

describe.each([2, 3] as const)('a Client subscribed to a shard channel under RESP%i', (protocol) => {
  const push = protocol === 3;

  it("is told by 'sunsubscribed' when the server drops the channel during a heartbeat PING; no error, no reconnect", async () => {
    server.respondWith((command) => {
      if (command.name === 'ssubscribe') {
        return Buffer.from(confirmation('ssubscribe', String(command.args[0]), 1, push));
      }
      if (command.name === 'ping' && command.connectionId > 1) {
        // The subscriber connection's heartbeat (the shared connection is the first): the notice goes
        // out right before the PING's reply, so it arrives while that PING is in flight.
        return Buffer.from(
          confirmation('sunsubscribe', '{s}feed', 0, push) + (push ? '+PONG\r\n' : RESP2_PONG),
        );
      }
      return undefined;
    });
    const client = new Client(server.url, { protocol, heartbeatInterval: 30 });
    clients.push(client);
    const errors: Error[] = [];
    const reconnects: unknown[] = [];
    const dropped: string[] = [];
    client.on('error', (error) => errors.push(error));
    client.on('reconnecting', (info) => reconnects.push(info));
    client.on('sunsubscribed', (channel) => dropped.push(channel));
    await client.connect();
    await client.ssubscribe('{s}feed', () => undefined);
    await eventually(() => dropped.length > 0, "the 'sunsubscribed' event");
    expect(dropped).toEqual(['{s}feed']);
    expect(errors).toEqual([]);
    expect(reconnects).toEqual([]);
  });
});
