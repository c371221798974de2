/**
 * Answers kept in process memory for as long as the rows they were read from
 * are known not to have changed (CommitScopedCache over SQLite,
 * NoticeScopedCache over PostgreSQL). A reader gets before it reads and sets
 * with the generation it saw then: an answer read across a change is not kept.
 */
export interface AnswerCache<V> {
  /** The value kept for the key, unless a change or its own time has ended it. */
  get(key: string, now: number): V | undefined;
  /** What a reader keeps after its get, to hand back to set. */
  readonly generation: number;
  /** Keeps a value read since the get that returned `generation`, until `until` (ms). */
  set(key: string, value: V, until: number, generation: number): void;
  /** Empties it now: a write of this process that could change an answer. */
  forget(): void;
  close(): void;
}
