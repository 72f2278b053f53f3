/** Something to tell when a watched AbortSignal aborts. */
export interface SignalMember {
  aborted(signal: AbortSignal): void;
}

/**
 * One 'abort' listener per signal, however many commands it covers: a request-scoped signal with
 * 128 commands in flight would otherwise carry 128 listeners (and Node warns past 10). The listener
 * is removed as soon as no command of that signal is pending, so a long-lived signal collects nothing
 * over millions of commands.
 */
const watched = new WeakMap<AbortSignal, Set<SignalMember>>();

/** Tells `member` when `signal` aborts, until `unwatchSignal`. The signal must not be aborted yet. */
export function watchSignal(signal: AbortSignal, member: SignalMember): void {
  let members = watched.get(signal);
  if (members === undefined) {
    members = new Set();
    watched.set(signal, members);
    signal.addEventListener('abort', onAbort, { once: true });
  }
  members.add(member);
}

/** Stops telling `member`; the signal's listener goes with its last member. */
export function unwatchSignal(signal: AbortSignal, member: SignalMember): void {
  const members = watched.get(signal);
  if (members === undefined || !members.delete(member) || members.size > 0) return;
  watched.delete(signal);
  signal.removeEventListener('abort', onAbort);
}

/** One function for every signal, so adding it twice to one signal is a no-op and removing it is exact. */
function onAbort(event: Event): void {
  const signal = event.target;
  if (!(signal instanceof AbortSignal)) return;
  const members = watched.get(signal);
  if (members === undefined) return;
  watched.delete(signal);
  for (const member of members) member.aborted(signal);
}
