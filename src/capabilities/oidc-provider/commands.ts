import { parseArgs } from "node:util";
import {
  type CliCommand,
  type OpenService,
  runCommandGroup,
  usageError,
} from "../../core/commands.js";
import { ClientInputError, type ClientStore } from "./clients.js";
import type { SigningKeys } from "./keys.js";

/** What the client and keys commands work on. */
export interface OidcCommandService {
  oidc: { clients: ClientStore; keys: SigningKeys };
}

export const CLIENT_USAGE = `Usage: auth-service client <command> [options]

Commands:
  create --name NAME --redirect-uri URI [--redirect-uri URI ...]
         [--post-logout-redirect-uri URI] [--public] [--first-party]
         [--grant client_credentials] [--grant device_code]
         [--id-token-alg RS256|ES256]
                 register a relying party of the OpenID provider; prints
                 client_id and, for a confidential client, client_secret
                 (once: only its SHA-256 is kept); its ID tokens are signed
                 RS256 unless --id-token-alg says ES256
  list [--json]  id, name, kind, grants, ID token algorithm, redirect URIs
  delete ID      the client and its grants and tokens are gone at once

Exit codes: 0 done, 1 failed (no such client), 2 bad arguments.`;

export const KEYS_USAGE = `Usage: auth-service keys <command>

Commands:
  rotate         add new signing keys (RS256, ES256); they sign from the next
                 start, and the old ones stay in the JWKS for a day

Exit codes: 0 done, 2 bad arguments.`;

function parseClientOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      "redirect-uri": { type: "string", multiple: true },
      "post-logout-redirect-uri": { type: "string", multiple: true },
      public: { type: "boolean" },
      "first-party": { type: "boolean" },
      grant: { type: "string", multiple: true },
      "id-token-alg": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type ClientValues = ReturnType<typeof parseClientOptions>["values"];

const CLIENT_COMMANDS: Record<
  string,
  (service: OidcCommandService, values: ClientValues, positionals: string[]) => Promise<number>
> = {
  async create({ oidc }, values) {
    if (!values.name) return usageError(CLIENT_USAGE, "client create needs --name NAME");
    const redirectUris = values["redirect-uri"] ?? [];
    for (const uri of [...redirectUris, ...(values["post-logout-redirect-uri"] ?? [])])
      if (!URL.canParse(uri)) return usageError(CLIENT_USAGE, `not a URL: "${uri}"`);
    try {
      const made = await oidc.clients.create({
        name: values.name,
        redirectUris,
        postLogoutRedirectUris: values["post-logout-redirect-uri"] ?? [],
        isPublic: values.public === true,
        firstParty: values["first-party"] === true,
        grants: values.grant ?? [],
        ...(values["id-token-alg"] === undefined ? {} : { idTokenAlg: values["id-token-alg"] }),
      });
      console.log(`client_id: ${made.clientId}`);
      if (made.clientSecret) console.log(`client_secret: ${made.clientSecret}`);
      return 0;
    } catch (error) {
      if (error instanceof ClientInputError) return usageError(CLIENT_USAGE, error.message);
      throw error;
    }
  },
  async list({ oidc }, values) {
    const clients = await oidc.clients.list();
    if (values.json) {
      console.log(JSON.stringify(clients, null, 2));
      return 0;
    }
    if (clients.length === 0) console.log("no clients");
    for (const client of clients)
      console.log(
        [
          client.clientId,
          client.name,
          client.isPublic ? "public" : "confidential",
          client.firstParty ? "first-party" : "third-party",
          client.grantTypes.join(","),
          client.idTokenAlg,
          client.redirectUris.join(" "),
        ].join("\t"),
      );
    return 0;
  },
  async delete({ oidc }, _values, positionals) {
    const [id] = positionals;
    if (!id) return usageError(CLIENT_USAGE, "client delete needs the client's ID");
    if (!(await oidc.clients.delete(id))) {
      console.error(`no client "${id}"`);
      return 1;
    }
    console.log(`deleted client ${id}`);
    return 0;
  },
};

/** `auth-service client ...` and `auth-service keys rotate`. */
export function oidcCommands(open: OpenService<OidcCommandService>): readonly CliCommand[] {
  return [
    {
      name: "client",
      summary: "relying parties of the OpenID provider",
      subcommands: Object.keys(CLIENT_COMMANDS),
      run: (args) =>
        runCommandGroup(
          {
            name: "client",
            usage: CLIENT_USAGE,
            parse: parseClientOptions,
            commands: CLIENT_COMMANDS,
          },
          open,
          args,
        ),
    },
    {
      name: "keys",
      summary: "the OpenID provider's signing keys",
      subcommands: ["rotate"],
      run: (args) =>
        runCommandGroup(
          {
            name: "keys",
            usage: KEYS_USAGE,
            parse: (rest) =>
              parseArgs({
                args: rest,
                allowPositionals: true,
                options: { help: { type: "boolean", short: "h" } },
              }),
            commands: {
              async rotate({ oidc }) {
                const kids = await oidc.keys.rotate();
                console.log(`new signing keys: ${kids.join(" ")}`);
                return 0;
              },
            },
          },
          open,
          args,
        ),
    },
  ];
}
