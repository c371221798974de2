import type { FastifyReply, FastifyRequest } from "fastify";
import type { Html } from "../../platform/pages/html.js";
import type { Accounts } from "../accounts.js";
import type { SecondFactorGate } from "../second-step.js";
import type { SessionInfo } from "../session.js";
import type { User } from "../user.js";
import type { PageContext, PageKit } from "./page-context.js";
import { sendPage } from "./page-kit.js";
import { accountView, type FormState } from "./views.js";

/**
 * What a request tells the account page: a notice, or an error by its field,
 * and whatever a section's own form keeps after an error (its fields by
 * name: the change form's new address, a development link).
 */
export type AccountPageState = Omit<FormState, "email"> & { readonly [part: string]: unknown };

/** What a section is given to render. */
export interface AccountSectionInput {
  user: User;
  /** The user's sessions, the asking one marked `current`. */
  sessions: readonly SessionInfo[];
  state: AccountPageState;
  /** A second factor is on: the sections' sensitive forms ask for a code too. */
  secondFactorOn: boolean;
  /** The request's page: its language and words. */
  ctx: PageContext;
}

/** What a section adds to the page: a banner at the top, a part after the password's, a notice. */
export interface AccountSectionParts {
  banner?: Html;
  part?: Html;
  /** Replaces the page's notice (one that names what only the section knows). */
  notice?: string;
}

/** A part of /account that a capability adds (the email change, the second factor). */
export interface AccountSection {
  render(input: AccountSectionInput): Promise<AccountSectionParts> | AccountSectionParts;
}

/**
 * The account page of a session: the core's own parts (who, sessions,
 * password) and each capability's section, in the order given. Every form
 * on it answers with this page again, its message by its field.
 */
export class AccountPage {
  readonly #accounts: Pick<Accounts, "accountOf" | "settings">;
  readonly #factors: SecondFactorGate;
  readonly #sections: readonly AccountSection[];
  readonly #pages: PageKit;

  constructor(
    accounts: Pick<Accounts, "accountOf" | "settings">,
    factors: SecondFactorGate,
    sections: readonly AccountSection[],
    pages: PageKit,
  ) {
    this.#accounts = accounts;
    this.#factors = factors;
    this.#sections = sections;
    this.#pages = pages;
  }

  /** The page of this session with `state`, or the login page when the session is over. */
  async send(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string | undefined,
    status: number,
    state: AccountPageState = {},
  ): Promise<FastifyReply> {
    const account = await this.#accounts.accountOf(token);
    if (!account) return reply.redirect("/account/login", 303);
    const { user, sessions } = account;
    const secondFactorOn = await this.#factors.isOn(user.id);
    // The switcher leads back to the account page itself, whatever form answered with it.
    const ctx = this.#pages.contextOf(request, "/account");
    const banners: Html[] = [];
    const parts: Html[] = [];
    let notice = state.notice;
    for (const section of this.#sections) {
      const rendered = await section.render({ user, sessions, state, secondFactorOn, ctx });
      if (rendered.banner) banners.push(rendered.banner);
      if (rendered.part) parts.push(rendered.part);
      if (rendered.notice) notice = rendered.notice;
    }
    const { error, errorField } = state;
    const view = { email: user.email, sessions, notice, error, errorField, banners, parts };
    const minLength = this.#accounts.settings.passwordMinLength;
    return sendPage(reply, status, accountView(ctx, view, minLength));
  }
}
