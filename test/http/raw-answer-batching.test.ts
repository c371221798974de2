import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { batchRawAnswer } from "../../src/platform/http/raw-answer-batching.js";

test("a raw answer's end() waits for the end of the turn, then is written; end(callback) passes at once", async () => {
  const order: string[] = [];
  const server = createServer((request, response) => {
    batchRawAnswer(response);
    if (request.url === "/callback") {
      response.end("now", () => order.push("callback"));
      return;
    }
    const returned = response.end("later");
    assert.equal(returned, response, "end() still answers the response");
    order.push(`ended ${response.writableEnded}`);
    setImmediate(() => order.push(`after the turn ${response.writableEnded}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    const answer = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await answer.text(), "later");
    assert.deepEqual(order.slice(0, 2), ["ended false", "after the turn true"]);
    const direct = await fetch(`http://127.0.0.1:${port}/callback`);
    assert.equal(await direct.text(), "now");
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test("an answer whose connection went meanwhile is not written", () => {
  let written = false;
  const response = {
    destroyed: false,
    end() {
      written = true;
      return this;
    },
  };
  batchRawAnswer(response as never);
  response.end();
  response.destroyed = true;
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      assert.equal(written, false);
      resolve();
    }),
  );
});
