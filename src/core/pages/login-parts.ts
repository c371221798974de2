import type { Html } from "../../platform/pages/html.js";
import type { PageContext } from "./page-context.js";

/** A page to answer with: its status and its HTML. */
export interface PageAnswer {
  status: number;
  body: string;
}

/**
 * What a capability adds to the hosted login and registration pages: the
 * page a refused login turns into (the second step, an unverified address),
 * and what the login page says after a registration.
 */
export interface LoginPageParts {
  /**
   * The page for a login refused with `error`, when this part knows the
   * error; undefined otherwise. `returnTo`: the login's checked return_to,
   * for the page's forms to carry on; `all`: every capability's parts (the
   * second step's page shows theirs).
   */
  pageFor?(
    error: unknown,
    email: string,
    returnTo: string | undefined,
    ctx: PageContext,
    all: readonly LoginPageParts[],
  ): PageAnswer | undefined;
  /**
   * What it adds under the login form (a passkey sign-in, "Continue with
   * ..."), in the page's language; `returnTo`: the page's checked return_to,
   * for its links to carry on.
   */
  login?(ctx: PageContext, returnTo?: string): Html | Promise<Html>;
  /** What it adds under the registration form ("Continue with ..."). */
  register?(ctx: PageContext, returnTo?: string): Html | Promise<Html>;
  /** What it adds to the second step's page, beside the code (a passkey). */
  secondStep?(ctx: PageContext): Html;
  /**
   * What it adds to a page that asks the signed-in user for a current
   * second factor before a change (a passkey instead of the code, when they
   * have one).
   */
  factorChoice?(ctx: PageContext, userId: number): Promise<Html>;
  /** What the login page says after a registration, when there is more to do before a login. */
  afterRegistration?(email: string, ctx: PageContext): { notice: string; extra: Html } | undefined;
}
