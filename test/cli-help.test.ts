import assert from "node:assert/strict";
import { test } from "node:test";
import { CLI_COMMANDS } from "../src/main/commands/table.js";
import { runCli, runCommandInProcess } from "./helpers/cli.js";

/** The help's command lines: "  name ..." heads, each followed by lines indented further. */
function helpEntries(help: string): Map<string, string[]> {
  const section = help.split("\nCommands:\n")[1]?.split("\n\n")[0] ?? "";
  const entries = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of section.split("\n")) {
    const head = /^ {2}(\S+)/.exec(line);
    if (head?.[1]) {
      current = [];
      entries.set(head[1], current);
    } else current.push(line.trim());
  }
  return entries;
}

test("auth-service --help lists every command it dispatches, with every subcommand", () => {
  const help = runCli(["--help"]);
  assert.equal(help.code, 0, help.stderr);
  const entries = helpEntries(help.stdout);
  assert.deepEqual(
    [...entries.keys()],
    CLI_COMMANDS.map((command) => command.name),
  );
  for (const command of CLI_COMMANDS) {
    const lines = entries.get(command.name) ?? [];
    if (command.subcommands) {
      assert.equal(lines[0], command.subcommands.join(" | "), `${command.name}'s commands`);
    }
  }
  // The two the hand-written help once left out.
  const user = entries.get("user")?.[0]?.split(" | ") ?? [];
  assert.ok(user.includes("verify") && user.includes("reset-mfa"), user.join(" "));
  // A command the help does not list is not one.
  const unknown = runCli(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});

test("each group's own --help names every command the group dispatches", async () => {
  for (const command of CLI_COMMANDS.filter((candidate) => candidate.subcommands)) {
    const help = await runCommandInProcess(command.run, ["--help"]);
    assert.equal(help.code, 0, help.stderr);
    for (const name of command.subcommands ?? []) {
      assert.match(
        help.stdout,
        new RegExp(`^ {2}${name}\\b`, "m"),
        `auth-service ${command.name} --help lacks ${name}`,
      );
    }
  }
});

test("every command answers --help", async () => {
  for (const command of CLI_COMMANDS) {
    const help = await runCommandInProcess(command.run, ["--help"]);
    assert.equal(help.code, 0, `${command.name}: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^Usage: auth-service ${command.name}\\b`), command.name);
  }
});
