/**
 * Test tooling, exported as `respline/testing`: an in-process RESP server and a fault-injecting proxy.
 *
 * @module respline/testing
 */
export { EmbeddedServer } from './embedded-server';
export type { EmbeddedServerOptions } from './embedded-server';
export type { CommandHook, HookAction, IncomingCommand } from './command-hook';
export { FaultProxy } from './fault-proxy';
export type {
  FaultProxyOptions,
  FaultProxyStats,
  ProxyDirection,
  ProxyDirections,
  ProxyUpstream,
} from './fault-proxy';
export { MissingPeerDependencyError } from './optional-peer';
export { encodeReply, errorReply, status, StatusReply } from './reply-encoder';
export type { ProtocolVersion, ServerReply } from './reply-encoder';
