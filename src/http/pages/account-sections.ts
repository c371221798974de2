import type { SessionInfo } from "../../auth/session.js";
import type { User } from "../../auth/user.js";
import type { Html } from "./html.js";

/** What a capability's section of /account is drawn from: the user and their sessions (the current one marked). */
export interface AccountPageSubject {
  user: User;
  sessions: readonly SessionInfo[];
}

/** A capability's section of /account (passkeys), drawn at each request after the page's own. */
export type AccountSection = (subject: AccountPageSubject) => Promise<Html>;

/** By the Auth the pages serve: an app's sections are its own, whatever else runs in the process. */
const sectionsOf = new WeakMap<object, AccountSection[]>();

/** Adds a section to the /account pages served over this Auth. */
export function addAccountSection(auth: object, section: AccountSection): void {
  sectionsOf.set(auth, [...(sectionsOf.get(auth) ?? []), section]);
}

/** The added sections of /account, drawn for this user. */
export function drawAccountSections(auth: object, subject: AccountPageSubject): Promise<Html[]> {
  return Promise.all((sectionsOf.get(auth) ?? []).map((section) => section(subject)));
}
