import type { PendingCommand } from './pending-command';

/** FIFO of commands linked through `PendingCommand.next`: O(1) push and shift, no array copying. */
export class CommandQueue {
  head: PendingCommand | null = null;
  tail: PendingCommand | null = null;
  length = 0;

  push(command: PendingCommand): void {
    command.next = null;
    if (this.tail === null) this.head = command;
    else this.tail.next = command;
    this.tail = command;
    this.length++;
  }

  shift(): PendingCommand | null {
    const command = this.head;
    if (command === null) return null;
    this.head = command.next;
    if (this.head === null) this.tail = null;
    command.next = null;
    this.length--;
    return command;
  }

  /** Puts a whole queue, in its order, ahead of this one's commands. */
  prepend(front: CommandQueue): void {
    if (front.head === null) return;
    (front.tail as PendingCommand).next = this.head;
    if (this.tail === null) this.tail = front.tail;
    this.head = front.head;
    this.length += front.length;
    front.head = front.tail = null;
    front.length = 0;
  }
}
