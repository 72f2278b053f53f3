/** What a component told the outside world, in order: events it emitted and what calls settled with. */
export class SaidLog {
  protected readonly said: unknown[] = [];

  /** Records an event or a labelled value. */
  record(label: string, ...payload: unknown[]): void {
    this.said.push([label, ...payload]);
  }

  /** Records what a call settled with, and returns it. */
  async settle(promise: Promise<unknown>): Promise<unknown> {
    try {
      const value = await promise;
      this.record('value', value);
      return value;
    } catch (error) {
      this.record('rejection', error);
      return error;
    }
  }

  /** How many entries of this kind were recorded. */
  count(kind: string): number {
    return this.said.filter((item) => Array.isArray(item) && item[0] === kind).length;
  }
}
