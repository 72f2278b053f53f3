import type { RespValue } from '../resp/types';
import { reply, type FieldMap } from './reply';
import { dataList, num, recordsOf, textual, texts, toRecord } from './replies-records';

/** HELLO: what the server says about itself and this connection. */
export interface HelloReply {
  /** The server's name, such as 'redis' or 'valkey'. */
  server: string;
  /** The server's version: '7.2.4'. */
  version: string;
  /** The protocol this connection now speaks. */
  proto: 2 | 3;
  /** This connection's CLIENT ID. */
  id: number;
  /** 'standalone', 'sentinel' or 'cluster'. */
  mode: string;
  /** 'master' or 'replica'. */
  role: string;
  /** The loaded modules, each as a field map ('name', 'ver'…). */
  modules: FieldMap<unknown>[];
}

export function toHello(value: RespValue): FieldMap<unknown> {
  return toRecord(value, { proto: num, id: num, modules: recordsOf({}, textual) }, textual);
}

/** CLIENT TRACKINGINFO. */
export interface TrackingInfo<S = string> {
  /** 'off', 'on', 'bcast', 'optin', 'optout', 'caching-yes', 'caching-no', 'noloop', 'broken_redirect'. */
  flags: string[];
  /** The client id invalidations go to: 0 for this connection (RESP3), -1 when tracking is off. */
  redirect: number;
  /** Key prefixes of BCAST mode: caller data. */
  prefixes: S[];
}

export function toTrackingInfo(value: RespValue): FieldMap<unknown> {
  return toRecord(value, { flags: texts, redirect: num, prefixes: dataList }, textual);
}

export const hello = reply<HelloReply>(toHello);
export const trackingInfo = reply<TrackingInfo, TrackingInfo<Buffer>>(toTrackingInfo);
/** CLIENT KILL: OK for the old `ip:port` form, the number of clients killed for the filter form. */
export const clientKill = reply<number | 'OK', number | Buffer>();
