#!/usr/bin/env node
/**
 * The `respline` command (package.json "bin", built to dist/cli/respline.js). One subcommand so far:
 *
 *   respline verify --servers SPEC [--repair] [--json] …   (see verify-command.ts)
 */
import { ServersSpecError } from './servers-spec';
import {
  parseVerifyArgs,
  runVerify,
  UsageError,
  VERIFY_USAGE,
  type Output,
  type VerifyArgs,
} from './verify-command';

const USAGE = `Usage: respline <command> [options]

Commands:
  verify    compare the replicas of each shard of a Cluster, and optionally repair them

Run "respline verify --help" for its options.`;

/** Runs the command line; resolves to the exit status. Exported so specs can run it in-process. */
export async function main(argv: readonly string[], out: Output, err: Output): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    (command === undefined ? err : out).write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  if (command !== 'verify') {
    err.write(`respline: unknown command ${JSON.stringify(command)}\n\n${USAGE}\n`);
    return 2;
  }
  let args: VerifyArgs;
  try {
    args = parseVerifyArgs(rest);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ServersSpecError)) throw error;
    err.write(`respline verify: ${error.message}\n\n${VERIFY_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    out.write(`${VERIFY_USAGE}\n`);
    return 0;
  }
  try {
    return await runVerify(args, out);
  } catch (error) {
    err.write(`respline verify: ${error instanceof Error ? error.message : String(error)}\n`);
    return 3;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), process.stdout, process.stderr).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 3;
    },
  );
}
