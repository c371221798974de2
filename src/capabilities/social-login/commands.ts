import { parseArgs } from "node:util";
import {
  type CliCommand,
  failure,
  type OpenService,
  runCommandGroup,
  usageError,
} from "../../core/commands.js";
import type { SessionClient } from "../../core/session.js";
import { PRESET_NAMES, presetOf } from "./presets.js";
import type { NewProvider } from "./providers.js";
import type { SocialLogin } from "./social-login.js";

/** What the provider commands work on: the providers, and where the service is reached. */
export interface SocialCommandService {
  auth: { socialLogin: SocialLogin };
  /** PUBLIC_URL, else http://localhost:<PORT>: the redirect URI's base. */
  publicUrl: string;
}

export const PROVIDER_USAGE = `Usage: auth-service provider <command> [options]

Commands:
  add ID --issuer URL --client-id CLIENT_ID --client-secret SECRET
         [--name "Shown name"] [--scope SCOPE ...]
  add ID --preset ${PRESET_NAMES.join("|")} --client-id CLIENT_ID --client-secret SECRET
         [--tenant TENANT] (microsoft: default common)
                 register a provider ("Continue with <name>" on the login
                 page); an --issuer is checked by its discovery document.
                 Prints the redirect_uri to register at the provider. The
                 client secret is kept sealed under SECRET_KEY. Production
                 refuses internal addresses (loopback, private, link-local
                 ...) unless SOCIAL_ALLOWED_HOSTS lists them.
  list [--json]  id, name, kind, issuer, client id (never the secret)
  remove ID      no more sign-ins through it; its linked identities are
                 deleted (an id added again names a new provider)

Exit codes: 0 done, 1 failed, 2 bad arguments.`;

function parse(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      issuer: { type: "string" },
      preset: { type: "string" },
      tenant: { type: "string" },
      "client-id": { type: "string" },
      "client-secret": { type: "string" },
      name: { type: "string" },
      scope: { type: "string", multiple: true },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof parse>["values"];

/** The provider an `add` describes, or the usage error's message. */
export function providerFromArgs(id: string, values: Values): NewProvider | string {
  const clientId = values["client-id"];
  const clientSecret = values["client-secret"];
  if (!clientId || !clientSecret) return "provider add needs --client-id and --client-secret";
  if (values.preset !== undefined) {
    const preset = presetOf(values.preset, values.tenant);
    if (!preset)
      return `unknown preset "${values.preset}" (${PRESET_NAMES.join(", ")}) or bad --tenant`;
    if (values.issuer !== undefined) return "give --preset or --issuer, not both";
    return {
      id,
      name: values.name ?? preset.name,
      kind: preset.kind,
      issuer: preset.issuer,
      endpoints: preset.endpoints,
      clientId,
      clientSecret,
      scopes: [...preset.scopes, ...(values.scope ?? [])],
    };
  }
  if (!values.issuer) return "provider add needs --issuer URL or --preset NAME";
  return {
    id,
    name: values.name ?? id,
    kind: "oidc",
    issuer: values.issuer,
    clientId,
    clientSecret,
    scopes: values.scope ?? [],
  };
}

/** Who the audit trail names for the CLI's changes. */
const OPERATOR: SessionClient = { ip: null, userAgent: "auth-service cli" };

const COMMANDS: Record<
  string,
  (service: SocialCommandService, values: Values, positionals: string[]) => Promise<number>
> = {
  async add({ auth, publicUrl }, values, [id]) {
    if (!id) return usageError(PROVIDER_USAGE, "provider add needs the provider's ID");
    const provider = providerFromArgs(id, values);
    if (typeof provider === "string") return usageError(PROVIDER_USAGE, provider);
    const { socialLogin } = auth;
    try {
      await socialLogin.providers.assertAllowed(provider.issuer);
      if (values.issuer !== undefined) await socialLogin.checkDiscovery(provider);
      if (!(await socialLogin.addProvider(provider, OPERATOR)))
        return failure(`a provider "${id}" exists already`);
    } catch (error) {
      if (error instanceof RangeError) return usageError(PROVIDER_USAGE, error.message);
      // Why, in development only: elsewhere the answer must not map what the host can reach.
      const reason = socialLogin.providers.development ? ` (${(error as Error).message})` : "";
      return failure(`${provider.issuer}: no usable discovery document${reason}`);
    }
    console.log(`added provider ${id} (${provider.name})`);
    console.log(`redirect_uri: ${publicUrl}/login/${id}/callback`);
    return 0;
  },
  async list({ auth }, values) {
    const providers = await auth.socialLogin.providers.list();
    if (values.json) {
      console.log(JSON.stringify(providers, null, 2));
      return 0;
    }
    if (providers.length === 0) console.log("no providers");
    for (const provider of providers)
      console.log(
        [provider.id, provider.name, provider.kind, provider.issuer, provider.clientId].join("\t"),
      );
    return 0;
  },
  async remove({ auth }, _values, [id]) {
    if (!id) return usageError(PROVIDER_USAGE, "provider remove needs the provider's ID");
    if (!(await auth.socialLogin.removeProvider(id, OPERATOR)))
      return failure(`no provider "${id}"`);
    console.log(`removed provider ${id}`);
    return 0;
  },
};

/** `auth-service provider add|list|remove`. */
export function providerCommands(open: OpenService<SocialCommandService>): readonly CliCommand[] {
  return [
    {
      name: "provider",
      summary: "identity providers to sign in with (social login)",
      subcommands: Object.keys(COMMANDS),
      run: (args) =>
        runCommandGroup(
          { name: "provider", usage: PROVIDER_USAGE, parse, commands: COMMANDS },
          open,
          args,
        ),
    },
  ];
}
