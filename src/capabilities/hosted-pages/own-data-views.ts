import { factorCodeField } from "../../core/pages/factor-code-field.js";
import { type FormState, field, usernameField } from "../../core/pages/views.js";
import { type Html, html, page } from "../../platform/pages/html.js";

/** /account's section: a copy of one's data, and the account's deletion, each behind a confirmation page. */
export function ownDataSection(): Html {
  return html`<h2>Your data</h2>
<p>Take a copy of everything this service keeps about you, or delete your account with all of it.</p>
<div class="actions">
<form method="get" action="/account/export">
<button type="submit" class="secondary">Download your data</button>
</form>
<form method="get" action="/account/delete">
<button type="submit" class="secondary">Delete your account</button>
</form>
</div>`;
}

/** The export's confirmation: what the file holds, and the button that downloads it. */
export function exportView(): string {
  return page(
    { title: "Download your data" },
    html`<p>The file holds everything this service keeps about you: your profile, your sessions (without their keys), your two-factor authentication's state (without its secret), and your account's history in the audit trail. It is JSON, a format other programs read.</p>
<form method="get" action="/profile/export">
<button type="submit">Download</button>
</form>
<p><a href="/account">Back to your account</a></p>`,
  );
}

/** The deletion's confirmation: what goes, and the password (and a code) that confirm it. */
export function deleteView(state: FormState & { email: string; needsCode: boolean }): string {
  return page(
    { title: "Delete your account", error: state.error },
    html`<p><strong>This cannot be undone.</strong> Your account and everything kept about it go at once: your profile, your sessions (every device is signed out), your two-factor authentication and your account's history. Download your data first if you want a copy.</p>
<form class="stacked" method="post" action="/account/delete">
${usernameField(state.email)}
${field(
  {
    name: "delete_password",
    label: "Your password, to delete the account",
    type: "password",
    autocomplete: "current-password",
  },
  state,
  "delete_password",
)}
${state.needsCode ? factorCodeField("delete_code", state) : ""}
<button type="submit" class="danger">Delete my account for good</button>
</form>
<p><a href="/account">Keep my account</a></p>`,
  );
}
