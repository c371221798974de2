import type { Kysely, Transaction as KyselyTrx } from "kysely";
import type { Database } from "./schema.js";
import type { Transaction, TransactionRunner } from "./transaction-handle.js";

/**
 * The domain's opaque Transaction over a Kysely transaction. Every store
 * over the same Kysely instance (users, audit, outbox, webhooks, email
 * tokens) runs its statements on it when handed one (executorOf), so the
 * rows of one change commit together.
 */
export class KyselyTransaction implements Transaction {
  readonly trx: KyselyTrx<Database>;
  readonly #afterCommit: Array<() => void>;

  constructor(trx: KyselyTrx<Database>, afterCommit: Array<() => void>) {
    this.trx = trx;
    this.#afterCommit = afterCommit;
  }

  afterCommit(step: () => void): void {
    this.#afterCommit.push(step);
  }
}

/** Runs the domain's units of work as Kysely transactions. */
export function transactionRunner(db: Kysely<Database>): TransactionRunner {
  return {
    async transaction(work) {
      const afterCommit: Array<() => void> = [];
      const result = await db
        .transaction()
        .execute((trx) => work(new KyselyTransaction(trx, afterCommit)));
      for (const step of afterCommit) {
        try {
          step();
        } catch {
          // Committed: a listener's failure after that changes nothing of it.
        }
      }
      return result;
    },
  };
}

/** Where a statement runs: in the given transaction, or on its own. */
export function executorOf(db: Kysely<Database>, tx: Transaction | undefined): Kysely<Database> {
  return tx instanceof KyselyTransaction ? tx.trx : db;
}

/**
 * Runs statements that must commit together: inside the given transaction
 * (the caller's unit of work commits them), else in a transaction of their own.
 */
export function withinTransaction<T>(
  db: Kysely<Database>,
  tx: Transaction | undefined,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (tx instanceof KyselyTransaction) return work(tx.trx);
  return db.transaction().execute(work);
}
