import type { ServerAddress } from '../connection/options';

/** `+switch-master`: `<master name> <old ip> <old port> <new ip> <new port>`. */
export interface MasterSwitch {
  readonly masterName: string;
  readonly from: ServerAddress;
  readonly to: ServerAddress;
}

export function parseSwitchMaster(payload: string): MasterSwitch | null {
  const words = payload.split(' ');
  if (words.length !== 5) return null;
  const [masterName, oldHost, oldPort, newHost, newPort] = words as [string, string, string, string, string];
  const from = address(oldHost, oldPort);
  const to = address(newHost, newPort);
  return from === null || to === null ? null : { masterName, from, to };
}

/**
 * The master an instance event is about, and its address. Sentinel writes instances as
 * `master <name> <ip> <port>`, or `<type> <name> <ip> <port> @ <master name> <master ip> <master port>`
 * for a replica or a sentinel.
 */
export function masterOfEvent(payload: string): { masterName: string; address: ServerAddress } | null {
  const words = payload.split(' ');
  const at = words.indexOf('@');
  if (at !== -1 && words.length >= at + 4) {
    const master = address(words[at + 2] as string, words[at + 3] as string);
    return master === null ? null : { masterName: words[at + 1] as string, address: master };
  }
  if (words[0] === 'master' && words.length >= 4) {
    const master = address(words[2] as string, words[3] as string);
    return master === null ? null : { masterName: words[1] as string, address: master };
  }
  return null;
}

export function sameAddress(a: ServerAddress, b: ServerAddress): boolean {
  return a.host === b.host && a.port === b.port;
}

export function address(host: string, port: string | number): ServerAddress | null {
  const number = Number(port);
  if (host === '' || !Number.isInteger(number) || number <= 0 || number > 65535) return null;
  return { host, port: number };
}
