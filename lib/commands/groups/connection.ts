import { defineGroup } from '../define';
import * as r from '../replies';
import * as c from '../replies-connection';
import { container } from '../container';

/**
 * The connection commands: how each reply is shaped, and friendlier argument forms where there are any.
 * AUTH, HELLO, RESET, SELECT, CLIENT TRACKING and CLIENT REPLY are refused on the shared pipelined
 * connection (see connection-state.ts); their shapes serve the surfaces that own a connection.
 */
export const connection = defineGroup('connection', {
  AUTH: r.ok,
  CLIENT: container,
  'CLIENT|CACHING': r.ok,
  'CLIENT|GETNAME': r.bulk,
  'CLIENT|GETREDIR': r.integer,
  'CLIENT|HELP': r.list,
  'CLIENT|ID': r.integer,
  // One line of `name=value` pairs, as Redis prints it.
  'CLIENT|INFO': r.text,
  'CLIENT|KILL': c.clientKill,
  // A line per client, as CLIENT INFO prints it.
  'CLIENT|LIST': r.text,
  'CLIENT|NO-EVICT': r.ok,
  'CLIENT|PAUSE': r.ok,
  'CLIENT|REPLY': r.ok,
  'CLIENT|SETNAME': r.ok,
  'CLIENT|TRACKING': r.ok,
  'CLIENT|TRACKINGINFO': c.trackingInfo,
  'CLIENT|UNBLOCK': r.integer,
  'CLIENT|UNPAUSE': r.ok,
  ECHO: r.text,
  HELLO: c.hello,
  // PONG, or the message given: a Buffer from pingBuffer either way.
  PING: r.status,
  QUIT: r.ok,
  // 'RESET'.
  RESET: r.status,
  SELECT: r.ok,
});
