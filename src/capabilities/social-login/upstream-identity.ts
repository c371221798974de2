import { InvalidEmailError } from "../../core/errors.js";
import { assertValidEmail } from "../../core/user.js";
import { isPlainText } from "../../platform/text/display-text.js";
import type { UpstreamIdentity } from "./store.js";

/** OpenID Connect bounds `sub` at 255 ASCII characters; some providers use more, none this many. */
const SUBJECT_MAX_LENGTH = 255;

/**
 * What a provider said about who signed in, made safe to keep and to act on.
 * A subject that is not a short, well-formed, printable string refuses the
 * sign-in (PostgreSQL refuses NUL; a lone surrogate is no text at all). An
 * address is only taken when registration would take it (assertValidEmail:
 * no spaces, no trailing dot, no xn-- spelling, a dotted domain), so a
 * provider cannot open an account, or skip the link page, with a spelling a
 * person could not register; else it counts as no address.
 * @throws Error for a subject that cannot be kept.
 */
export function checkedIdentity(
  subject: unknown,
  email: unknown,
  verified: unknown,
): UpstreamIdentity {
  if (
    typeof subject !== "string" ||
    subject === "" ||
    subject.length > SUBJECT_MAX_LENGTH ||
    !isPlainText(subject)
  )
    throw new Error("the provider's subject cannot be kept");
  const address = usableEmail(email);
  return { subject, email: address, emailVerified: address !== null && verified === true };
}

function usableEmail(email: unknown): string | null {
  if (typeof email !== "string" || !isPlainText(email)) return null;
  try {
    assertValidEmail(email);
    return email;
  } catch (error) {
    if (error instanceof InvalidEmailError) return null;
    throw error;
  }
}
