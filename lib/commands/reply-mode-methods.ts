import type { CommandArg } from '../resp/types';
import { CommandApi, type ApiMode } from './api';
import { pubsub, server } from './groups';

/**
 * The SUBSCRIBE family and MONITOR as plain command methods, for the surfaces that cannot give them
 * a listener (Pipeline, Transaction, an isolated connection, the Cluster): `run` refuses each with an
 * InvalidArgumentError that names the API to use. The Client defines these names itself, with a
 * listener, so the generated class leaves them out (SURFACE_OWNED_METHODS).
 */
export abstract class ReplyModeRefusals<Mode extends ApiMode> extends CommandApi<Mode> {
  subscribe(...channels: CommandArg[]) {
    return this.run(pubsub['SUBSCRIBE'], ['SUBSCRIBE', ...channels], false);
  }
  subscribeBuffer(...channels: CommandArg[]) {
    return this.run(pubsub['SUBSCRIBE'], ['SUBSCRIBE', ...channels], true);
  }
  psubscribe(...patterns: CommandArg[]) {
    return this.run(pubsub['PSUBSCRIBE'], ['PSUBSCRIBE', ...patterns], false);
  }
  psubscribeBuffer(...patterns: CommandArg[]) {
    return this.run(pubsub['PSUBSCRIBE'], ['PSUBSCRIBE', ...patterns], true);
  }
  ssubscribe(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SSUBSCRIBE'], ['SSUBSCRIBE', ...shardchannels], false);
  }
  ssubscribeBuffer(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SSUBSCRIBE'], ['SSUBSCRIBE', ...shardchannels], true);
  }
  unsubscribe(...channels: CommandArg[]) {
    return this.run(pubsub['UNSUBSCRIBE'], ['UNSUBSCRIBE', ...channels], false);
  }
  unsubscribeBuffer(...channels: CommandArg[]) {
    return this.run(pubsub['UNSUBSCRIBE'], ['UNSUBSCRIBE', ...channels], true);
  }
  punsubscribe(...patterns: CommandArg[]) {
    return this.run(pubsub['PUNSUBSCRIBE'], ['PUNSUBSCRIBE', ...patterns], false);
  }
  punsubscribeBuffer(...patterns: CommandArg[]) {
    return this.run(pubsub['PUNSUBSCRIBE'], ['PUNSUBSCRIBE', ...patterns], true);
  }
  sunsubscribe(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SUNSUBSCRIBE'], ['SUNSUBSCRIBE', ...shardchannels], false);
  }
  sunsubscribeBuffer(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SUNSUBSCRIBE'], ['SUNSUBSCRIBE', ...shardchannels], true);
  }
  monitor() {
    return this.run(server['MONITOR'], ['MONITOR'], false);
  }
  monitorBuffer() {
    return this.run(server['MONITOR'], ['MONITOR'], true);
  }
}
