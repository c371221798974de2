/** The database connections of this process, for /metrics. */
export interface PoolState {
  /** Most connections the pool may open (1 for SQLite). */
  size: number;
  /** Connections open now. */
  open: number;
  /** Open and not serving a query. */
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}
