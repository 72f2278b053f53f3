import type { ConnectionListener } from '../../lib/connection/connection';

/** A Connection listener that ignores every event: for specs that look only at commands' outcomes. */
export const quietListener: ConnectionListener = {
  onReady: () => undefined,
  onError: () => undefined,
  onReconnecting: () => undefined,
  onClose: () => undefined,
  onEnd: () => undefined,
  onPush: () => undefined,
};
