/**
 * The hosted pages' passkey script, served as a same-origin file
 * (PASSKEYS_SCRIPT_PATH) after @simplewebauthn/browser's bundle, which
 * defines SimpleWebAuthnBrowser. It shows the passkey parts of a page
 * (views.ts) only in a browser that has WebAuthn, runs the ceremonies
 * against the JSON routes, and leaves every password form as it is.
 * Plain modern JavaScript, no build step: it is sent as written here.
 */
export const PASSKEYS_SCRIPT = `"use strict";
const webauthn = globalThis.SimpleWebAuthnBrowser;
const byId = (id) => document.getElementById(id);
const errorBox = byId("passkey-error");

// The page's words, in its language (views.ts: a JSON data block beside the
// error box); English only when a page has none.
const words = Object.assign(
  {
    cancelled: "No passkey was used: the request was cancelled or timed out.",
    failed: "The passkey could not be used. Try again, or sign in with your password.",
    throttled: "Too many attempts. Wait a moment and try again.",
    notSignedIn: "You are no longer signed in. Log in again.",
    useInsteadOfCode: "Use a passkey instead of a code",
    errors: {},
  },
  (() => {
    try {
      return JSON.parse(byId("passkey-words")?.textContent || "{}");
    } catch {
      return {};
    }
  })(),
);

/** A refusal of the server, said in the page's words (its JSON message is the API's English). */
class Refused extends Error {}

function refusalText(status, code) {
  if (code && Object.hasOwn(words.errors, code)) return words.errors[code];
  if (status === 429) return words.throttled;
  if (status === 401) return words.notSignedIn;
  return words.failed;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(body ?? {}),
    credentials: "same-origin",
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(refusalText(response.status, answer.error));
  return answer;
}

function showError(error) {
  if (!errorBox) return;
  const cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
  // The browser's and the library's own messages are English: only ours are shown.
  errorBox.textContent = cancelled
    ? words.cancelled
    : error instanceof Refused
      ? error.message
      : words.failed;
  errorBox.hidden = false;
}

/** An assertion as short as the server reads it (it goes in a form field of 1 KiB at most). */
function compact(credential) {
  const { clientDataJSON, authenticatorData, signature, userHandle } = credential.response;
  return JSON.stringify({
    id: credential.id,
    type: "public-key",
    response: { clientDataJSON, authenticatorData, signature, userHandle },
  });
}

async function signInWith(optionsJSON, useBrowserAutofill) {
  const response = await webauthn.startAuthentication({ optionsJSON, useBrowserAutofill });
  await post("/passkeys/authentication", { response });
  // Where the login page was asked to send the person back (return_to): the
  // server wrote it into the form only once it had checked it. Else on to
  // /account/login/continue: an OpenID interaction waiting for this login, or /account.
  const back = document.querySelector('form[action="/account/login"] input[name="return_to"]');
  location.assign(back?.value || "/account/login/continue");
}

function loginPage(part) {
  part.hidden = false;
  byId("passkey-sign-in-button").addEventListener("click", async () => {
    try {
      await signInWith(await post("/passkeys/authentication/options"), false);
    } catch (error) {
      showError(error);
    }
  });
  // Autofill (conditional mediation): the email field offers this site's passkeys,
  // asked for once the person reaches for the field (not at load: an
  // authenticator that answers by itself would sign in before anyone chose to).
  const email = document.querySelector('input[autocomplete~="webauthn"]');
  const autofill = async () => {
    email.removeEventListener("pointerdown", autofill);
    email.removeEventListener("keydown", autofill);
    if (!(await webauthn.browserSupportsWebAuthnAutofill())) return;
    try {
      await signInWith(await post("/passkeys/authentication/options"), true);
    } catch (error) {
      // Replaced by the button's request, or dismissed: the page stays as it is.
      if (error && error.name !== "AbortError" && error.code !== "ERROR_CEREMONY_ABORTED")
        showError(error);
    }
  };
  if (email) {
    email.addEventListener("pointerdown", autofill);
    email.addEventListener("keydown", autofill);
  }
}

function secondStepPage(part) {
  part.hidden = false;
  const form = byId("passkey-step-form");
  byId("passkey-step-button").addEventListener("click", async () => {
    try {
      const optionsJSON = await post("/passkeys/authentication/options");
      form.elements.code.value = compact(await webauthn.startAuthentication({ optionsJSON }));
      // The login's mfa_token, from the page's code form.
      const token = document.querySelector('input[name="mfa_token"]').cloneNode();
      form.append(token);
      form.submit();
    } catch (error) {
      showError(error);
    }
  });
}

async function addPasskey(form) {
  const fields = form ? Object.fromEntries(new FormData(form)) : {};
  const proof = {};
  if (fields.password) proof.password = fields.password;
  if (fields.code) proof.code = fields.code;
  const optionsJSON = await post("/passkeys/registration/options", proof);
  const response = await webauthn.startRegistration({ optionsJSON });
  const name = fields.name ? { name: fields.name } : {};
  await post("/passkeys/registration", { response, ...name });
  location.assign("/account?done=passkey-added");
}

function accountPage(section) {
  const form = byId("passkey-add-form");
  byId("passkey-add").hidden = false;
  byId("passkey-unsupported").hidden = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await addPasskey(form);
    } catch (error) {
      showError(error);
    }
  });
  const offer = byId("passkey-offer");
  if (offer) {
    webauthn.platformAuthenticatorIsAvailable().then((available) => {
      const key = "passkey-offer-shown";
      if (!available || localStorage.getItem(key)) return;
      localStorage.setItem(key, "1");
      offer.hidden = false;
      byId("passkey-offer-no").addEventListener("click", () => {
        offer.hidden = true;
      });
      byId("passkey-offer-yes").addEventListener("click", async () => {
        try {
          await addPasskey(null);
        } catch (error) {
          showError(error);
        }
      });
    });
  }
  // A second factor asked before a change: a passkey instead of a code.
  if (section.querySelector("#passkey-list")) offerPasskeyForCodes();
}

/** Beside each code asked before a change, a button that answers with a passkey instead. */
function offerPasskeyForCodes() {
  for (const input of document.querySelectorAll('main input[autocomplete="one-time-code"]')) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = words.useInsteadOfCode;
    input.after(button);
    button.addEventListener("click", async () => {
      try {
        const optionsJSON = await post("/passkeys/reauthentication/options");
        const credential = await webauthn.startAuthentication({ optionsJSON });
        const answer = document.createElement("input");
        answer.type = "hidden";
        answer.name = input.name;
        answer.value = compact(credential);
        input.disabled = true;
        input.after(answer);
        input.form.requestSubmit();
      } catch (error) {
        showError(error);
      }
    });
  }
}

if (webauthn && webauthn.browserSupportsWebAuthn()) {
  const signIn = byId("passkey-sign-in");
  const step = byId("passkey-step");
  const section = byId("passkeys");
  if (signIn) loginPage(signIn);
  if (step) secondStepPage(step);
  if (section) accountPage(section);
  if (byId("passkey-factor-choice")) offerPasskeyForCodes();
}
`;
