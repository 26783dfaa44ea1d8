/**
 * Runs async tasks strictly one after another: a modem takes one AT command at a time. A task can
 * jump the queue (the modem's initialisation goes before what callers queued).
 */

/** A FIFO of async tasks, run one at a time. */
export class CommandQueue {
  #jobs: (() => Promise<void>)[] = [];
  #busy = false;

  /** Tasks waiting, the running one excluded. */
  get waiting(): number {
    return this.#jobs.length;
  }

  /** Queues `task` (at the head when `front`) and settles as it does once it has run. */
  async run<T>(task: () => Promise<T>, front = false): Promise<T> {
    return await new Promise<T>((resolve, reject) => {
      const job = async () => {
        try {
          resolve(await task());
        } catch (error) {
          reject(error);
        }
      };
      if (front) this.#jobs.unshift(job);
      else this.#jobs.push(job);
      void this.#pump(); // jobs settle their own promise and never reject
    });
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    for (let job = this.#jobs.shift(); job !== undefined; job = this.#jobs.shift()) await job();
    this.#busy = false;
  }
}
