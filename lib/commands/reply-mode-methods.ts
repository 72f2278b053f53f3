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
  /** Refused here with an InvalidArgumentError: subscribe with a listener on a Client (`client.subscribe`). */
  subscribe(...channels: CommandArg[]) {
    return this.run(pubsub['SUBSCRIBE'], ['SUBSCRIBE', ...channels], false);
  }
  /** Refused here with an InvalidArgumentError: subscribe with a listener on a Client. */
  subscribeBuffer(...channels: CommandArg[]) {
    return this.run(pubsub['SUBSCRIBE'], ['SUBSCRIBE', ...channels], true);
  }
  /** Refused here with an InvalidArgumentError: subscribe to patterns with a listener on a Client (`client.psubscribe`). */
  psubscribe(...patterns: CommandArg[]) {
    return this.run(pubsub['PSUBSCRIBE'], ['PSUBSCRIBE', ...patterns], false);
  }
  /** Refused here with an InvalidArgumentError: subscribe to patterns with a listener on a Client. */
  psubscribeBuffer(...patterns: CommandArg[]) {
    return this.run(pubsub['PSUBSCRIBE'], ['PSUBSCRIBE', ...patterns], true);
  }
  /** Refused here with an InvalidArgumentError: subscribe to shard channels with a listener on a Client (`client.ssubscribe`). */
  ssubscribe(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SSUBSCRIBE'], ['SSUBSCRIBE', ...shardchannels], false);
  }
  /** Refused here with an InvalidArgumentError: subscribe to shard channels with a listener on a Client. */
  ssubscribeBuffer(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SSUBSCRIBE'], ['SSUBSCRIBE', ...shardchannels], true);
  }
  /** Refused here with an InvalidArgumentError: unsubscribe through the Client or the Subscription that subscribed. */
  unsubscribe(...channels: CommandArg[]) {
    return this.run(pubsub['UNSUBSCRIBE'], ['UNSUBSCRIBE', ...channels], false);
  }
  /** Refused here with an InvalidArgumentError: unsubscribe through the Client or the Subscription that subscribed. */
  unsubscribeBuffer(...channels: CommandArg[]) {
    return this.run(pubsub['UNSUBSCRIBE'], ['UNSUBSCRIBE', ...channels], true);
  }
  /** Refused here with an InvalidArgumentError: unsubscribe through the Client or the Subscription that subscribed. */
  punsubscribe(...patterns: CommandArg[]) {
    return this.run(pubsub['PUNSUBSCRIBE'], ['PUNSUBSCRIBE', ...patterns], false);
  }
  /** Refused here with an InvalidArgumentError: unsubscribe through the Client or the Subscription that subscribed. */
  punsubscribeBuffer(...patterns: CommandArg[]) {
    return this.run(pubsub['PUNSUBSCRIBE'], ['PUNSUBSCRIBE', ...patterns], true);
  }
  /** Refused here with an InvalidArgumentError: unsubscribe through the Client or the Subscription that subscribed. */
  sunsubscribe(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SUNSUBSCRIBE'], ['SUNSUBSCRIBE', ...shardchannels], false);
  }
  /** Refused here with an InvalidArgumentError: unsubscribe through the Client or the Subscription that subscribed. */
  sunsubscribeBuffer(...shardchannels: CommandArg[]) {
    return this.run(pubsub['SUNSUBSCRIBE'], ['SUNSUBSCRIBE', ...shardchannels], true);
  }
  /** Refused here with an InvalidArgumentError: use `client.monitor(listener)`, which gives MONITOR its own connection. */
  monitor() {
    return this.run(server['MONITOR'], ['MONITOR'], false);
  }
  /** Refused here with an InvalidArgumentError: use `client.monitor(listener)`, which gives MONITOR its own connection. */
  monitorBuffer() {
    return this.run(server['MONITOR'], ['MONITOR'], true);
  }
}
