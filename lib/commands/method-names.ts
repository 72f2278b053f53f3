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

/**
 * Commands whose method a surface defines itself, with a richer meaning than the bare command:
 * `multi()` builds a Transaction, `exec()` runs a batch, `quit()` closes the client.
 */
export const SURFACE_OWNED_METHODS: ReadonlySet<string> = new Set(['multi', 'exec', 'quit']);
