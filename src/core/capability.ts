import type { FastifyInstance } from "fastify";
import type { CliCommand, OpenService } from "./commands.js";
import type { SessionCookie } from "./http/cookies.js";
import type { AccountPage, AccountSection } from "./pages/account-page.js";
import type { LoginPageParts } from "./pages/login-parts.js";
import type { PageKit } from "./pages/page-context.js";
import type { ReturnTo } from "./pages/return-to.js";
import type { ErasureStep } from "./store/erasure.js";
import type { TakeBackStep } from "./store/take-back.js";
import type { User } from "./user.js";

/** What the HTTP service hands each capability's routes and pages. */
export interface HttpParts {
  cookie: SessionCookie;
  /** The account page, built from every capability's section. */
  accountPage: AccountPage;
  /** Every capability's parts of the login and registration pages. */
  loginParts: readonly LoginPageParts[];
  /** Checks the sign-in pages' return_to (ALLOWED_RETURN_ORIGINS). */
  returnTo: ReturnTo;
  /** Each request's page context: its language, the brand, the language switcher. */
  pages: PageKit;
  /** PUBLIC_URL, when configured: where the service is reached from outside. */
  publicUrl?: string | undefined;
}

/**
 * What a capability adds to the service, said once, in its folder's
 * index.ts. src/main/capabilities.ts lists them, and the service is built by
 * loops over that list: the routes and pages registered, the account page's
 * sections and the login page's parts in list order, the commands in the
 * CLI's table, the take-back steps in every store that takes an account back.
 *
 * `Service` is what the capability needs of the composed service (its own
 * domain objects, the core's accounts), and `CommandService` what its
 * commands need of a service opened for them: declared structurally, since a
 * capability imports no other, and given whole by main.
 */
export interface Capability<Service, CommandService = Service> {
  /** The folder's name: "second-factor", "webhooks". */
  readonly name: string;
  /** JSON API routes. */
  routes?(app: FastifyInstance, service: Service, http: HttpParts): PromiseLike<unknown>;
  /** Hosted pages, served with the documents' security headers (CSP). */
  pages?(app: FastifyInstance, service: Service, http: HttpParts): PromiseLike<unknown>;
  /** Its part of /account. */
  accountSection?(service: Service): AccountSection;
  /** What it adds to the login and registration pages. */
  loginParts?(service: Service): LoginPageParts;
  /** What it voids, in the same transaction, whenever an account is taken back. */
  readonly takeBack?: readonly TakeBackStep[];
  /** What it deletes, in the same transaction, when an account is erased (its rows not tied to `users`). */
  readonly erasure?: readonly ErasureStep[];
  /**
   * Its part of a user's export (GET /profile/export): what it keeps about
   * them, never a secret; keyed by what it is ("second_factor", "audit_events").
   */
  exportData?(service: Service, user: User): Promise<Record<string, unknown> | undefined>;
  /** Its `auth-service <name> ...` commands, over a service the command opens. */
  commands?(open: OpenService<CommandService>): readonly CliCommand[];
}
