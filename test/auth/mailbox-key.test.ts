import assert from "node:assert/strict";
import { test } from "node:test";
import { mailboxKey } from "../../src/core/mail-request-limit.js";

test("limits count an address by the mailbox it reaches: case, plus tags and dots in the name", () => {
  const key = mailboxKey("Victim@Target.test");
  for (const spelling of ["victim+1@target.test", "v.ictim@TARGET.test", "vic.tim+x+y@target.test"])
    assert.equal(mailboxKey(spelling), key, spelling);
  assert.notEqual(mailboxKey("victim@other.test"), key);
  assert.equal(
    mailboxKey("+tag@target.test"),
    "+tag@target.test",
    "a name that is all tag stays itself",
  );
});
