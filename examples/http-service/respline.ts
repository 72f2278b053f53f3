/**
 * The example imports respline through this file so it runs from the repository without a build. In
 * your own project these two lines are `from 'respline'` and `from 'respline/testing'`.
 */
export { Client, ResplineError, Script } from '../../lib/index';
export { EmbeddedServer } from '../../lib/testing/index';
