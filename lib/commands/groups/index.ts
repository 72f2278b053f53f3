import { bitmaps } from './bitmaps';
import { cluster } from './cluster';
import { connection } from './connection';
import { generic } from './generic';
import { geo } from './geo';
import { hashes } from './hashes';
import { hyperloglog } from './hyperloglog';
import { lists } from './lists';
import { pubsub } from './pubsub';
import { scripting } from './scripting';
import { server } from './server';
import { sets } from './sets';
import { sortedSets } from './sorted-sets';
import { streams } from './streams';
import { strings } from './strings';
import { transactions } from './transactions';
import { resolveSubcommandsWith } from '../container';
import type { CommandDef } from '../define';

export {
  bitmaps,
  cluster,
  connection,
  generic,
  geo,
  hashes,
  hyperloglog,
  lists,
  pubsub,
  scripting,
  server,
  sets,
  sortedSets,
  streams,
  strings,
  transactions,
};

type AnyDef = CommandDef<unknown, unknown>;

/** Every group, by the name its module exports: what the method generator imports. */
export const GROUP_MODULES: readonly { exportName: string; defs: Readonly<Record<string, AnyDef>> }[] = [
  { exportName: 'bitmaps', defs: bitmaps },
  { exportName: 'cluster', defs: cluster },
  { exportName: 'connection', defs: connection },
  { exportName: 'generic', defs: generic },
  { exportName: 'geo', defs: geo },
  { exportName: 'hashes', defs: hashes },
  { exportName: 'hyperloglog', defs: hyperloglog },
  { exportName: 'lists', defs: lists },
  { exportName: 'pubsub', defs: pubsub },
  { exportName: 'scripting', defs: scripting },
  { exportName: 'server', defs: server },
  { exportName: 'sets', defs: sets },
  { exportName: 'sortedSets', defs: sortedSets },
  { exportName: 'streams', defs: streams },
  { exportName: 'strings', defs: strings },
  { exportName: 'transactions', defs: transactions },
];

const BY_NAME = new Map<string, { module: string; def: AnyDef }>();
for (const { exportName, defs } of GROUP_MODULES) {
  for (const [name, def] of Object.entries(defs)) BY_NAME.set(name, { module: exportName, def });
}
resolveSubcommandsWith((name) => BY_NAME.get(name)?.def.transform ?? null);

/** The definition of a command-table name ('GET', 'CONFIG|GET') and the group module holding it. */
export function definitionOf(tableName: string): { module: string; def: AnyDef } | undefined {
  return BY_NAME.get(tableName);
}
