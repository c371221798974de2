/**
 * Answers kept in process memory for as long as the rows they were read from
 * are known not to have changed (CommitScopedCache over SQLite,
 * NoticeScopedCache over PostgreSQL). A reader gets before it reads and sets
 * with the generation it saw then: an answer read across a change is not
 * kept. An entry also ends at its own time (a token's expiry).
 */
export abstract class AnswerCache<V> {
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #max: number;
  /** Bumped by every emptying: a reader that saw another generation keeps nothing. */
  #generation = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /**
   * Whether entries may be served and kept now. It may first empty the cache
   * (forget), when it learns of a change.
   */
  protected abstract usable(): boolean;

  /** The value kept for the key, unless a change or its own time has ended it. */
  get(key: string, now: number): V | undefined {
    if (!this.usable()) return undefined;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** What a reader keeps after its get, to hand back to set. */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Keeps a value read since the get that returned `generation`, until
   * `until` (milliseconds); past `max` entries the cache starts over.
   */
  set(key: string, value: V, until: number, generation: number): void {
    if (!this.usable() || generation !== this.#generation) return;
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, { value, until });
  }

  /** Empties it now: a change, or a write of this process that could change an answer. */
  forget(): void {
    this.#generation++;
    this.#entries.clear();
  }

  /**
   * Drops one key's value after this process changed its row: readers that
   * read before the change keep nothing (the generation moves on), and the
   * other keys stay.
   */
  forgetOne(key: string): void {
    this.#generation++;
    this.#entries.delete(key);
  }

  close(): void {
    this.forget();
  }
}

/**
 * What `cache` keeps for the key, else what `read` finds, then kept until
 * `until(value)` (undefined: not kept). The generation is taken before the
 * read, so a value read across a change is not kept; nothing is kept for no
 * value. Without a cache it only reads.
 */
export async function readThrough<V>(
  cache: AnswerCache<V> | undefined,
  key: string,
  now: number,
  read: () => Promise<V | undefined>,
  until: (value: V) => number | undefined,
): Promise<V | undefined> {
  if (!cache) return read();
  const kept = cache.get(key, now);
  if (kept !== undefined) return kept;
  const generation = cache.generation;
  const value = await read();
  const end = value === undefined ? undefined : until(value);
  if (value !== undefined && end !== undefined) cache.set(key, value, end, generation);
  return value;
}
