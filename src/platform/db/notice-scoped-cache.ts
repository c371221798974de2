import type { AnswerCache } from "./answer-cache.js";

/** What the cache needs of PostgreSQL's change listener (session-change-listener.ts). */
export interface ChangeNotices<Channel extends string> {
  /** False while notices may be missed: nothing is served from memory then. */
  readonly up: boolean;
  /** Calls the handler at each notice on the channel, and when the listener goes down or up. */
  watch(channel: Channel, handler: () => void): void;
}

/**
 * A per-process cache of answers read from PostgreSQL, kept only between
 * notices: the triggers of migrations 0008 and 0018 NOTIFY, inside every
 * writing transaction of any instance or of the CLI, when a row that could
 * change an answer changes, and each notice on a watched channel empties it
 * (within milliseconds of the commit, on every instance). While the listener
 * is down nothing is kept or served. An entry also ends at its own time.
 *
 * As CommitScopedCache: a reader gets before it reads and sets with the
 * generation it saw then, so an answer read across a notice is not kept.
 */
export class NoticeScopedCache<V, Channel extends string> implements AnswerCache<V> {
  readonly #notices: ChangeNotices<Channel>;
  readonly #entries = new Map<string, { value: V; until: number }>();
  readonly #max: number;
  #generation = 0;

  constructor(notices: ChangeNotices<Channel>, channels: readonly Channel[], max: number) {
    this.#notices = notices;
    this.#max = max;
    for (const channel of channels) notices.watch(channel, () => this.forget());
  }

  get(key: string, now: number): V | undefined {
    if (!this.#notices.up) return undefined;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until > now) return entry.value;
    this.#entries.delete(key);
    return undefined;
  }

  get generation(): number {
    return this.#generation;
  }

  set(key: string, value: V, until: number, generation: number): void {
    if (generation !== this.#generation || !this.#notices.up) return;
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(key, { value, until });
  }

  close(): void {
    this.forget();
  }

  forget(): void {
    this.#generation++;
    this.#entries.clear();
  }
}
