/** The log processor's decode → parse → reduce → write path, run in memory (for `aligner parse`). */
import type { JobRecord } from "../jobs-table.ts";
import type { SubscriptionMessage } from "../logs/payload.ts";
import { applyReduction } from "./apply.ts";
import { MemoryStatusStore } from "./memory-store.ts";
import { reducePayload } from "./reduce.ts";

export class OfflineStatus {
  readonly store = new MemoryStatusStore();

  /** Applies payloads in the order given, exactly as the deployed processor would. */
  async apply(messages: SubscriptionMessage[]): Promise<void> {
    for (const m of messages) {
      if (m.messageType !== "DATA_MESSAGE") continue;
      await applyReduction(this.store, reducePayload(m), { recordTtlDays: 90, writeConcurrency: 1 });
    }
  }

  /** Records by start time, then request id; records whose START is unknown come last. */
  records(): JobRecord[] {
    return this.store.records().sort((a, b) => {
      const sa = a.startedAt ?? "\uffff";
      const sb = b.startedAt ?? "\uffff";
      return sa < sb ? -1 : sa > sb ? 1 : a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;
    });
  }
}
