export { Client, type ClientEvents, type ClientStats } from './client';
export { Pipeline } from './pipeline';
export { Script, type ScriptOptions } from './client/script';
export type {
  ScriptValue,
  FunctionLibrary,
  FunctionInfo,
  FunctionStats,
  RunningFunction,
  EngineStats,
} from './commands/script-replies';
export type { ScriptCallParams } from './commands/script-calls';
export type { ScanOptions, ElementScanOptions } from './client/scan';
export { Transaction } from './client/transaction';
export type { IsolatedConnection } from './client/isolated-connection';
export type { PoolStats } from './client/pool';
export type { ClientOptions, PoolOptions, ReconnectOptions } from './connection/options';
export type { ReconnectingInfo, ConnectionState } from './connection/connection';
export type { RedisKey, SetOptions, MsetEntries } from './commands/api';
export type { RespValue, CommandArg, DecoderLimits } from './resp/types';
export { RespDecoder, type ReplySink } from './resp/decoder';
export { encodeCommand } from './resp/encoder';
export * from './errors';
export { Cluster } from './cluster/cluster';
export type { ClusterOptions, WriteAck, ReadFrom } from './cluster/cluster-options';
export type {
  ClusterEvents,
  ServerInfo,
  ServerHealth,
  ServerOutcome,
  ReplicaErrorDetail,
} from './cluster/events';
