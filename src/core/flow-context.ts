import { type AuthEventListener, fanOut } from "./events.js";
import type { MailQueue } from "./mail-queue.js";
import type { PasswordHasher } from "./password.js";
import type { PasswordPolicy } from "./password-policy.js";
import type { AuthSettings } from "./settings.js";
import type { AuthStore } from "./store.js";
import type { LoginThrottle } from "./throttle.js";
import { type EventRecorder, UnitOfWork } from "./unit-of-work.js";

/**
 * What Auth hands the flows it delegates to (password reset, password
 * change): its collaborators, so each flow lives in its own file without a
 * second copy of any of them.
 */
export interface FlowContext {
  store: AuthStore;
  settings: AuthSettings;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  throttle: LoginThrottle;
  mailQueue: MailQueue | undefined;
  now: () => Date;
  /** Reports an event that changes nothing (a refusal, a failure): audit and webhooks off the request path. */
  emit: AuthEventListener;
  /** Runs a change with its audit, webhook and mail rows in one transaction. */
  changes: UnitOfWork;
}

/**
 * The context Auth hands its flows. Events of no change (`emit`) reach the
 * metrics and the recorders' off-path writers; a change's events reach the
 * recorders inside its transaction and the metrics once it commits.
 */
export function flowContext(
  core: Pick<FlowContext, "store" | "settings" | "hasher" | "passwordPolicy">,
  rest: Pick<FlowContext, "throttle" | "mailQueue" | "now">,
  events: {
    notify: AuthEventListener;
    recorders: readonly EventRecorder[];
    onStepFailed?: (error: unknown, step: string) => void;
  },
): FlowContext {
  const { notify, recorders, onStepFailed } = events;
  return {
    ...core,
    ...rest,
    emit: fanOut(notify, ...recorders.map((recorder) => recorder.record)),
    changes: new UnitOfWork({
      transactions: core.store,
      recorders,
      notify,
      mailQueue: rest.mailQueue,
      onError: onStepFailed,
    }),
  };
}
