import { CountersWithFallback } from "./counters-with-fallback.js";
import type { AuthEventListener } from "./events.js";
import { type FlowContext, flowContext } from "./flow-context.js";
import type { MailQueue } from "./mail-queue.js";
import { PasswordHasher } from "./password.js";
import { PasswordPolicy } from "./password-policy.js";
import type { AuthSettings } from "./settings.js";
import type { AuthStore } from "./store.js";
import { LoginThrottle, type ThrottleStore } from "./throttle.js";
import type { EventRecorder } from "./unit-of-work.js";

export interface CoreDependencies {
  store: AuthStore;
  /** Where login throttling state lives; the store (the database) by default. */
  throttleStore?: ThrottleStore;
  settings: AuthSettings;
  /** The clock; tests move it to cross expiry times. */
  now?: () => Date;
  /** Told of every login, registration, reset, logout and hash (metrics); never writes. */
  onEvent?: AuthEventListener;
  /** Write rows for events (audit, webhooks): a change's in its transaction (UnitOfWork), others later. */
  recorders?: readonly EventRecorder[];
  /** Told of a step after a committed change that failed and was given up (logged). */
  onStepFailed?: (error: unknown, step: string) => void;
  /**
   * Where reset links and password-change notices are queued for mailing.
   * Without it there is no requestPasswordReset (development hands tokens back).
   */
  mailQueue?: MailQueue;
}

/** What the core makes once and every capability's flows are built on. */
export interface Core {
  flows: FlowContext;
  store: AuthStore;
  settings: AuthSettings;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  throttle: LoginThrottle;
  /** Request counters (registrations, mailed links): in the database while Redis is down. */
  counters: ThrottleStore;
  now: () => Date;
}

export function openCore({
  store,
  throttleStore,
  settings,
  now = () => new Date(),
  onEvent,
  recorders = [],
  onStepFailed,
  mailQueue,
}: CoreDependencies): Core {
  const throttle = new LoginThrottle(throttleStore ?? store, settings);
  const hasher = new PasswordHasher(settings, onEvent);
  const passwordPolicy = new PasswordPolicy(settings);
  const flows = flowContext(
    { store, settings, hasher, passwordPolicy },
    { throttle, mailQueue, now },
    { notify: onEvent ?? (() => {}), recorders, onStepFailed },
  );
  // Request limits count in the database while Redis is down (see CountersWithFallback).
  const counters = throttleStore ? new CountersWithFallback(throttleStore, store) : store;
  return { flows, store, settings, hasher, passwordPolicy, throttle, counters, now };
}
