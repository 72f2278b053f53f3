/**
 * HintLog, the keys one server missed (lib/cluster/hint-log.ts): a pure data structure, so no server.
 * What the repair engine relies on: the bound turns the log into "full resync", and after a restart
 * (a full resync owed, perhaps done by another process) the keys missed since are still recorded,
 * since that other process's resync cannot cover them.
 */
import { HintLog } from '../lib/cluster/hint-log';
import { keyId } from '../lib/cluster/repair-keys';

const ids = (log: HintLog): string[] => [...log.ids()].sort();

describe('HintLog', () => {
  it('records keys once each and hands them over with take(), starting empty', () => {
    const log = new HintLog(10);
    log.add(['a', 'b']);
    log.add(['a', Buffer.from('c')]);
    expect(log.size).toBe(3);
    expect(log.has(keyId('c'))).toBe(true);
    const taken = log.take();
    expect([...taken.keys].sort()).toEqual([keyId('a'), keyId('b'), keyId('c')].sort());
    expect(taken).toMatchObject({ full: false, sinceRestart: false });
    expect(log.empty).toBe(true);
  });

  it('turns into a full resync past maxHints, or for keys that cannot be told, and records nothing more', () => {
    const log = new HintLog(3);
    log.add(['a', 'b', 'c']);
    expect(log.overflowed).toBe(false);
    log.add(['d']);
    expect(log.overflowed).toBe(true);
    log.add(['e']);
    expect(ids(log)).toEqual([]);
    expect(log.take()).toMatchObject({ full: true, sinceRestart: false });

    const unknown = new HintLog(3);
    unknown.add(null);
    expect(unknown.take().full).toBe(true);
  });

  it('after a restart owes a full resync yet records every key missed since, until take()', () => {
    const log = new HintLog(5);
    log.add(['before']);
    log.restarted();
    expect(log.overflowed).toBe(true);
    expect(log.empty).toBe(false);
    log.add(['x']);
    log.addIds([keyId('y')]);
    // What was missed before the restart is the resync's to cover: only the keys since are kept.
    expect(ids(log)).toEqual([keyId('x'), keyId('y')].sort());
    const taken = log.take();
    expect(taken).toMatchObject({ full: true, sinceRestart: true });
    expect([...taken.keys].sort()).toEqual([keyId('x'), keyId('y')].sort());
    // take() ends it: a plain log again.
    log.add(['z']);
    expect(log.take()).toMatchObject({ full: false, sinceRestart: false });
  });

  it('after a restart still keeps its bound: past maxHints the keys since are dropped too', () => {
    const log = new HintLog(2);
    log.restarted();
    log.add(['a', 'b', 'c']);
    expect(ids(log)).toEqual([]);
    expect(log.take()).toMatchObject({ full: true, sinceRestart: false });
  });
});
