/** A key: a string (sent as UTF-8) or a Buffer (sent byte for byte). */
export type RedisKey = string | Buffer;

/** How a surface hands back results: promises (Client, Cluster) or itself for chaining (Pipeline). */
export type ApiMode = 'promise' | 'chain';
export type Returns<Mode extends ApiMode, T, Self> = Mode extends 'promise' ? Promise<T> : Self;
