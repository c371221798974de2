import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import type { CDPSession, Page } from "playwright-core";
import passkeysDe from "../../../src/capabilities/passkeys/locales/de.json" with { type: "json" };
import coreDe from "../../../src/core/pages/locales/de.json" with { type: "json" };
import {
  arriveAt,
  browserSkipReason,
  chromiumSuite,
  logIn,
  register,
} from "../../helpers/browser.js";

/** A credential as the CDP's WebAuthn domain hands it out and takes it in. */
interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId?: string;
  privateKey: string;
  userHandle?: string;
  signCount: number;
}

/**
 * A virtual authenticator in this page's browser context (CDP WebAuthn
 * domain): CTAP2, built into the device, holding discoverable credentials,
 * verifying its user; presence is simulated, so no prompt waits.
 */
async function addAuthenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable", { enableUI: false });
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

describe("passkeys in Chromium, with a virtual authenticator", {
  skip: browserSkipReason(),
}, () => {
  const suite = chromiumSuite();
  const { cspViolations, failedResources } = suite;

  test("add a passkey on /account, sign in with it and no password (here and in a fresh browser), use it as the second step, remove it", {
    timeout: 120_000,
  }, async () => {
    // localhost, not 127.0.0.1: an IP address is not a valid RP ID.
    const base = `http://localhost:${suite.server.port}`;
    const email = "browser-passkey@example.com";
    const password = "b4l0u-passkey";
    const page = await suite.newPage();
    const first = await addAuthenticator(page);

    await register(page, base, email, password);
    await arriveAt(page, /\/account\/login\?done=registered$/);
    await logIn(page, base, email, password);
    await arriveAt(page, `${base}/account`);
    // Just signed in by password, on a device with a platform authenticator: offered once.
    const offer = page.getByRole("button", { name: "Yes, create a passkey" });
    await offer.waitFor({ timeout: 10_000 });
    await page.getByRole("button", { name: "Not now" }).click();
    assert.equal(await offer.isVisible(), false);
    await page.reload();
    await page.getByRole("button", { name: "Add a passkey", exact: true }).waitFor();
    assert.equal(await offer.isVisible(), false, "offered once");
    await page.getByRole("button", { name: "Add a passkey", exact: true }).click();
    await arriveAt(page, `${base}/account?done=passkey-added`);
    assert.match((await page.getByRole("status").textContent()) ?? "", /Passkey added/);
    assert.equal(await page.locator("#passkey-list li").count(), 1);
    const { credentials } = (await first.cdp.send("WebAuthn.getCredentials", {
      authenticatorId: first.id,
    })) as { credentials: VirtualCredential[] };
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]?.isResidentCredential, true, "a discoverable credential");
    assert.equal(credentials[0]?.rpId, "localhost");

    // A passkey is the account's second factor now: a change of email takes one, and the
    // page offers the passkey beside the code's field.
    await page.getByLabel("New email address").fill("browser-passkey-new@example.com");
    await page.getByLabel("Your password, to change the email").fill(password);
    await page.getByRole("button", { name: "Use a passkey instead of a code" }).click();
    await page
      .getByText("A confirmation link for browser-passkey-new@example.com is ready")
      .waitFor();

    // Log out, then back in with the passkey alone, sent by an application
    // (return_to): back where it asked.
    await page.getByRole("button", { name: "Log out" }).click();
    await arriveAt(page, /\/account\/login\?done=logged-out$/);
    const place = `${base}/account?from=app`;
    await page.goto(`${base}/account/login?return_to=${encodeURIComponent(place)}`);
    await page.getByRole("button", { name: "Sign in with a passkey" }).click();
    await arriveAt(page, place);
    assert.equal(await page.locator("#account-email").textContent(), email);

    // A fresh browser that holds only the passkey: the password field stays empty.
    const fresh = await suite.newPage();
    const second = await addAuthenticator(fresh);
    const [credential] = credentials;
    assert.ok(credential);
    await second.cdp.send("WebAuthn.addCredential", {
      authenticatorId: second.id,
      credential: { ...credential, signCount: await signCountOf(first) },
    });
    await fresh.goto(`${base}/account/login`);
    assert.equal(
      await fresh.getByLabel("Email").getAttribute("autocomplete"),
      "username webauthn",
      "autofill offers passkeys on the email field",
    );
    await fresh.getByRole("button", { name: "Sign in with a passkey" }).click();
    await arriveAt(fresh, `${base}/account`);
    assert.equal(await fresh.locator("#account-email").textContent(), email);

    // Autofill (conditional mediation): reaching for the email field offers the passkey,
    // which the virtual authenticator picks at once.
    await fresh.getByRole("button", { name: "Log out" }).click();
    await arriveAt(fresh, /\/account\/login\?done=logged-out$/);
    await fresh.getByLabel("Email").click();
    await arriveAt(fresh, `${base}/account`);

    // After the password the passkey is the second factor: the second step offers it beside the code.
    await fresh.getByRole("button", { name: "Log out" }).click();
    await arriveAt(fresh, /\/account\/login\?done=logged-out$/);
    await logIn(fresh, base, email, password);
    await fresh.getByRole("heading", { name: "Two-factor authentication" }).waitFor();
    assert.equal((await fresh.context().cookies()).length, 0, "no session before the second step");
    await fresh.getByRole("button", { name: "Use a passkey instead" }).click();
    await arriveAt(fresh, `${base}/account`);
    assert.equal(await fresh.locator("#account-email").textContent(), email);

    // Removal: the password (the session is minutes old); the page says it was the last factor.
    await fresh.getByLabel(/Your password, to remove/).fill(password);
    await fresh.getByRole("button", { name: "Remove", exact: true }).click();
    await arriveAt(fresh, `${base}/account?done=passkey-removed-last`);
    assert.match((await fresh.getByRole("status").textContent()) ?? "", /last second factor/);
    assert.equal(await fresh.locator("#passkey-none").textContent(), "No passkeys yet.");
    await fresh.getByRole("button", { name: "Log out" }).click();
    await logIn(fresh, base, email, password);
    await arriveAt(fresh, `${base}/account`);

    assert.deepEqual(cspViolations, [], "no page broke its Content-Security-Policy");
    assert.deepEqual(failedResources, [], "no page asked for something missing");
  });

  test("an account whose second factor is a passkey deletes itself with it, on the confirmation page", {
    timeout: 120_000,
  }, async () => {
    const base = `http://localhost:${suite.server.port}`;
    const email = "browser-passkey-delete@example.com";
    const password = "b4l0u-passkey-delete";
    const page = await suite.newPage();
    await addAuthenticator(page);
    await register(page, base, email, password);
    await arriveAt(page, /\/account\/login\?done=registered$/);
    await logIn(page, base, email, password);
    await arriveAt(page, `${base}/account`);
    await page.getByRole("button", { name: "Add a passkey", exact: true }).click();
    await arriveAt(page, `${base}/account?done=passkey-added`);

    await page.goto(`${base}/account/delete`);
    await page.getByLabel("Your password, to delete the account").fill(password);
    await page.getByRole("button", { name: "Use a passkey instead of a code" }).click();
    await arriveAt(page, /\/account\/login\?done=account-deleted$/);
    await logIn(page, base, email, password);
    await page.getByRole("alert").waitFor({ timeout: 10_000 });
    assert.deepEqual(cspViolations, [], "no page broke its Content-Security-Policy");
  });

  test("a German login page says in German that no passkey was used, or that the service refused one", {
    timeout: 120_000,
  }, async () => {
    const base = `http://localhost:${suite.server.port}`;
    const page = await suite.newPage();
    await page.context().addCookies([{ name: "lang", value: "de", url: base }]);
    const { cdp, id } = await addAuthenticator(page);
    await page.goto(`${base}/account/login`);
    const button = page.getByRole("button", { name: passkeysDe["login.button"] });
    const error = page.locator("#passkey-error");

    // The device holds no passkey for this site: the browser refuses, nothing was used.
    await button.click();
    await error.waitFor({ state: "visible", timeout: 30_000 });
    assert.equal(await error.textContent(), passkeysDe["script.cancelled"]);

    // A passkey this service never registered: the browser signs, the service refuses (401).
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await cdp.send("WebAuthn.addCredential", {
      authenticatorId: id,
      credential: {
        credentialId: randomBytes(16).toString("base64"),
        isResidentCredential: true,
        rpId: "localhost",
        privateKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
        userHandle: randomBytes(16).toString("base64"),
        signCount: 0,
      },
    });
    await button.click();
    await page
      .locator("#passkey-error", { hasText: coreDe["error.invalid_passkey"] })
      .waitFor({ timeout: 30_000 });
    assert.equal(await error.textContent(), coreDe["error.invalid_passkey"]);
    assert.equal(await page.locator("html").getAttribute("lang"), "de");
    assert.deepEqual(cspViolations, [], "the words' data block broke no Content-Security-Policy");
  });

  test("without JavaScript the login page still signs in with a password, and shows no passkey button", {
    timeout: 120_000,
  }, async () => {
    const base = `http://localhost:${suite.server.port}`;
    const page = await suite.newPage();
    await page.context().route("**/*.js", (route) => route.abort());
    await register(page, base, "nojs@example.com", "b4l0u-nojs");
    await arriveAt(page, /\/account\/login\?done=registered$/);
    assert.equal(
      await page.getByRole("button", { name: "Sign in with a passkey" }).isVisible(),
      false,
    );
    await logIn(page, base, "nojs@example.com", "b4l0u-nojs");
    await arriveAt(page, `${base}/account`);
    assert.equal(await page.getByRole("button", { name: "Add a passkey" }).isVisible(), false);
    failedResources.length = 0; // the scripts were refused on purpose
  });
});

async function signCountOf(authenticator: { cdp: CDPSession; id: string }): Promise<number> {
  const { credentials } = (await authenticator.cdp.send("WebAuthn.getCredentials", {
    authenticatorId: authenticator.id,
  })) as { credentials: VirtualCredential[] };
  return credentials[0]?.signCount ?? 0;
}
