/** A command line the program cannot act on; the message says what is wrong with it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Walks `argv` one flag at a time, `--name value` and `--name=value` alike: `handle` gets the flag,
 * a reader of its value (throwing UsageError when none follows) and the argument as given.
 */
export function eachFlag(
  argv: readonly string[],
  handle: (flag: string, value: () => string, arg: string) => void,
): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const equals = arg.indexOf('=');
    const flag = arg.startsWith('--') && equals > 0 ? arg.slice(0, equals) : arg;
    const inline = flag === arg ? undefined : arg.slice(equals + 1);
    handle(
      flag,
      () => {
        if (inline !== undefined) return inline;
        const next = argv[i + 1];
        if (next === undefined || next.startsWith('--')) throw new UsageError(`${flag} needs a value`);
        i++;
        return next;
      },
      arg,
    );
  }
}
