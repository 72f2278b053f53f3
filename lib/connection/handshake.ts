import type { CommandArg } from '../resp/types';
import type { ResolvedOptions } from './options';

/**
 * The commands that prepare a fresh socket, in order; never empty. HELLO carries AUTH and SETNAME when used, so
 * a RESP3 handshake is one round trip; otherwise AUTH, SELECT and CLIENT SETNAME are pipelined.
 */
export function handshakeCommands(options: ResolvedOptions): CommandArg[][] {
  const commands: CommandArg[][] = [];
  const auth = options.password === undefined ? undefined : [options.username ?? 'default', options.password];
  if (options.protocol !== undefined) {
    const hello: CommandArg[] = ['HELLO', options.protocol];
    if (auth) hello.push('AUTH', ...auth);
    if (options.name !== undefined) hello.push('SETNAME', options.name);
    commands.push(hello);
  } else if (auth) {
    commands.push(options.username === undefined ? ['AUTH', options.password as string] : ['AUTH', ...auth]);
  }
  if (options.db !== 0) commands.push(['SELECT', options.db]);
  if (options.protocol === undefined && options.name !== undefined) {
    commands.push(['CLIENT', 'SETNAME', options.name]);
  }
  // A socket that merely connected proves nothing: a proxy in front of a dead server accepts and then
  // closes. Without any other step, a PING is the proof that the server answers before we call it ready.
  if (commands.length === 0) commands.push(['PING']);
  return commands;
}
