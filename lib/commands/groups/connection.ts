import { defineGroup } from '../define';
import * as r from '../replies';
import { container } from '../container';

/** The connection commands: how each reply is shaped, and friendlier argument forms where there are any. */
export const connection = defineGroup('connection', {
  AUTH: r.raw,
  CLIENT: container,
  'CLIENT|CACHING': r.raw,
  'CLIENT|GETNAME': r.raw,
  'CLIENT|GETREDIR': r.raw,
  'CLIENT|HELP': r.raw,
  'CLIENT|ID': r.raw,
  'CLIENT|INFO': r.raw,
  'CLIENT|KILL': r.raw,
  'CLIENT|LIST': r.raw,
  'CLIENT|NO-EVICT': r.raw,
  'CLIENT|PAUSE': r.raw,
  'CLIENT|REPLY': r.raw,
  'CLIENT|SETNAME': r.raw,
  'CLIENT|TRACKING': r.raw,
  'CLIENT|TRACKINGINFO': r.raw,
  'CLIENT|UNBLOCK': r.raw,
  'CLIENT|UNPAUSE': r.raw,
  ECHO: r.raw,
  HELLO: r.raw,
  PING: r.status,
  QUIT: r.raw,
  RESET: r.raw,
  SELECT: r.raw,
});
