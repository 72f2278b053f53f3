/**
 * respline: a pipelined RESP2/RESP3 Redis client with typed commands, RedisCluster and Sentinel
 * support, and a sharded, replicated Cluster over independent servers.
 *
 * @module respline
 */
export { Client, type ClientEvents, type ClientStats } from './client';
export { Pipeline } from './pipeline';
export { Transaction } from './client/transaction';
export type { IsolatedConnection } from './client/isolated-connection';
export type { PoolStats } from './client/pool';
export type { CacheStats } from './client/cache';
export { Script, type ScriptOptions } from './client/script';
export type { ScanOptions, ElementScanOptions } from './client/scan';
export type {
  Subscription,
  SubscribeOptions,
  MessageListener,
  PatternListener,
  SubscriptionKind,
} from './client/subscriber';
export type { Monitor, MonitorEvent, MonitorListener } from './client/monitor';
export type {
  ClientOptions,
  PoolOptions,
  ReconnectOptions,
  CacheOptions,
  TracingOptions,
} from './connection/options';
export type { OptionsView, CommandOptions } from './client/with-options';
export { TRACING_CHANNELS } from './connection/tracing';
export type { CommandTrace, BatchTrace, ConnectTrace, ServerTrace } from './connection/tracing';
export type { ReconnectingInfo, ConnectionState, ConnectionStats } from './connection/connection';
export type { RedisKey } from './commands/api';
export type { SetOptions, MsetEntries, FieldEntries, ScoreInput } from './commands/arguments';
export type { ScriptCallParams } from './commands/script-calls';
// The shapes command methods resolve to, so callers can name them.
export type {
  ScoredMember,
  FieldMap,
  FieldValue,
  ScanPage,
  KeyedElement,
  KeyedElements,
  KeyedScoredMember,
  KeyedScoredMembers,
  RankWithScore,
  GeoCoordinates,
  GeoSearchHit,
  GeoWith,
  LcsMatch,
  LcsIndex,
} from './commands/reply';
export type {
  StreamEntry,
  DeletedStreamEntry,
  StreamRead,
  StreamInfo,
  StreamInfoFull,
  StreamGroupFull,
  StreamConsumerFull,
  StreamGroupInfo,
  StreamConsumerInfo,
  StreamPendingSummary,
  StreamPendingEntry,
  StreamAutoClaim,
} from './commands/replies-streams';
export type {
  AclUser,
  AclLogEntry,
  CommandDescription,
  KeySpecification,
  CommandDoc,
  CommandArgumentDoc,
  KeyWithFlags,
  LatencyLatest,
  LatencySample,
  LatencyHistogram,
  SlowlogEntry,
  MemoryStats,
  ModuleInfo,
  Role,
  MasterRole,
  ReplicaRole,
  SentinelRole,
} from './commands/replies-server';
export type {
  ClusterShardNode,
  ClusterShard,
  ClusterSlotsNode,
  ClusterSlotRange,
  ClusterNode,
  ClusterLink,
} from './commands/replies-cluster';
export type { HelloReply, TrackingInfo } from './commands/replies-connection';
export type {
  ScriptValue,
  FunctionLibrary,
  FunctionInfo,
  FunctionStats,
  RunningFunction,
  EngineStats,
} from './commands/script-replies';
export type { RespValue, CommandArg, DecoderLimits } from './resp/types';
export { RespDecoder, type ReplySink } from './resp/decoder';
export { encodeCommand } from './resp/encoder';
export * from './errors';
export { Cluster } from './cluster/cluster';
export type { ClusterOptions, WriteAck, ReadFrom, RepairOptions } from './cluster/cluster-options';
export type {
  ClusterEvents,
  ServerInfo,
  ServerHealth,
  ServerOutcome,
  ReplicaErrorDetail,
  ServerState,
  StaleReason,
  RepairMode,
  RepairProgress,
  RepairSummary,
} from './cluster/events';
export { REPAIR_KEY_PREFIX } from './cluster/repair-keys';
export {
  RedisCluster,
  type RedisClusterEvents,
  type RedisClusterNodeOutcome,
} from './redis-cluster/redis-cluster';
export type { RedisClusterOptions, RedisClusterReadFrom } from './redis-cluster/options';
export type { RedisClusterNodeInfo, RedisClusterNodeHealth, NodeRole } from './redis-cluster/node';
