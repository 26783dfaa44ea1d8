/**
 * Faults the bank terminal simulator injects, changeable while it runs. Each countable fault has a
 * budget: the next `count` occasions (Infinity: all), then each later one with probability `rate`
 * (a seeded random source makes a soak test reproducible).
 */

/** The next `count` occasions, then each with probability `rate` in [0, 1]. */
export interface FaultBudget {
  count: number;
  rate: number;
}

export interface TerminalFaults {
  /** Frames the terminal sends with a wrong LRC (one send each: a resend may go through). */
  corrupt: FaultBudget;
  /** Frames the terminal sends that never reach the wire (one send each). */
  dropOut: FaultBudget;
  /** Frames from the edge the terminal never sees: no ACK, not handled. */
  dropIn: FaultBudget;
  /** Frames from the edge the terminal handles but does not acknowledge: the edge resends. */
  dropAck: FaultBudget;
  /** Sales declined with {@link declineCode}. */
  decline: FaultBudget;
  /** The code of a `decline` fault: `C` cancelled, `55` wrong PIN, `51` … (never `00`, `PD`, `NF`, `VD`). */
  declineCode: string;
  /** Sales that hang: never finished, never answered (a query says `PD`) until a power cycle. */
  noResult: FaultBudget;
  /** Sales that end (approved or declined, in the log) but whose `R` is never sent. */
  loseResult: FaultBudget;
  /** Extra wait before each result is sent. */
  resultDelayMs: number;
}

/** Codes a decline fault may not use: they are not declines. */
export const NOT_DECLINES: ReadonlySet<string> = new Set(['00', 'PD', 'NF', 'VD']);

const none = (): FaultBudget => ({ count: 0, rate: 0 });

/** No faults at all. */
export function noFaults(): TerminalFaults {
  return {
    ...{ corrupt: none(), dropOut: none(), dropIn: none(), dropAck: none(), decline: none() },
    ...{ declineCode: '05', noResult: none(), loseResult: none(), resultDelayMs: 0 },
  };
}

/** Whether a fault strikes now: spends one of its count, or draws against its rate. */
export function strikes(budget: FaultBudget, random: () => number): boolean {
  if (budget.count > 0) {
    budget.count--;
    return true;
  }
  return budget.rate > 0 && random() < budget.rate;
}
