/**
 * An open database transaction as the domain holds it: opaque, only handed
 * back to the stores (which know what is inside) and to the listeners that
 * write rows. The domain never imports a database to use one.
 */
export interface Transaction {
  /** Runs `step` once the transaction has committed; never when it rolls back. */
  afterCommit(step: () => void): void;
}

/** Runs work in one database transaction: the store's side of a unit of work. */
export interface TransactionRunner {
  /** Commits when `work` resolves, rolls back when it throws (and rethrows). */
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
}
