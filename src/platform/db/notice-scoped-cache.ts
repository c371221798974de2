import { AnswerCache } from "./answer-cache.js";

/** What the cache needs of PostgreSQL's change listener (session-change-listener.ts). */
export interface ChangeNotices<Channel extends string> {
  /** False while notices may be missed: nothing is served from memory then. */
  readonly up: boolean;
  /** Calls the handler at each notice on the channel, and when the listener goes down or up. */
  watch(channel: Channel, handler: () => void): void;
}

/**
 * Answers read from PostgreSQL, kept only between notices: the triggers of
 * migrations 0008 and 0018 NOTIFY, inside every writing transaction of any
 * instance or of the CLI, when a row that could change an answer changes,
 * and each notice on a watched channel empties it (within milliseconds of
 * the commit, on every instance). While the listener is down nothing is kept
 * or served. This process's own writes empty it directly (forget), before a
 * notice could arrive.
 */
export class NoticeScopedCache<V, Channel extends string> extends AnswerCache<V> {
  readonly #notices: ChangeNotices<Channel>;

  constructor(notices: ChangeNotices<Channel>, channels: readonly Channel[], max: number) {
    super(max);
    this.#notices = notices;
    for (const channel of channels) notices.watch(channel, () => this.forget());
  }

  protected usable(): boolean {
    return this.#notices.up;
  }
}
