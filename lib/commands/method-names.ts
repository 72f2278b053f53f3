/**
 * The method name of a command-table name: lower case, a `-` drops out and the next letter is upper
 * case, and a subcommand is appended to its container in camelCase ('CONFIG|GET' → configGet,
 * 'CLIENT|NO-EVICT' → clientNoEvict, 'RESTORE-ASKING' → restoreAsking).
 */
export function methodNameOf(tableName: string): string {
  return tableName
    .toLowerCase()
    .replace(/[-|_]([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())
    .replace(/[^A-Za-z0-9]/g, '');
}

/** Methods the Client defines with a listener, and ReplyModeRefusals refuses on the other surfaces. */
export const REPLY_MODE_METHODS: ReadonlySet<string> = new Set([
  'subscribe',
  'psubscribe',
  'ssubscribe',
  'unsubscribe',
  'punsubscribe',
  'sunsubscribe',
  'monitor',
]);

/**
 * Commands whose method a surface defines itself, with a richer meaning than the bare command:
 * `multi()` builds a Transaction, `exec()` runs a batch, `quit()` closes the client. The SUBSCRIBE
 * family and MONITOR take a listener on the Client; the other surfaces refuse them
 * (commands/reply-mode-methods.ts).
 */
export const SURFACE_OWNED_METHODS: ReadonlySet<string> = new Set([
  'multi',
  'exec',
  'quit',
  ...REPLY_MODE_METHODS,
]);
