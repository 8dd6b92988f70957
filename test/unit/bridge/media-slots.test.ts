import assert from "node:assert/strict";
import { test } from "node:test";
import { pendingMediaSlots } from "../../../src/bridge/media-slots.js";
import { signalMessageToMatrix } from "../../../src/convert/index.js";
import type { signalservice } from "../../../src/signal/index.js";
import { ALICE, signalContext } from "../convert/fake-context.js";

// Two attachments, a sticker, and text with a link preview image: parts 0, 1, 2 and 3.
const message = {
  timestamp: 1000,
  body: "see https://example.org",
  attachments: [{ contentType: "image/png" }, { contentType: "application/pdf" }],
  sticker: { emoji: "👍", data: { contentType: "image/webp" } },
  preview: [{ url: "https://example.org", image: { contentType: "image/jpeg" } }],
} as unknown as signalservice.DataMessage;

const draft = await signalMessageToMatrix(message, ALICE, signalContext());
const pending = (parts: number[]) => pendingMediaSlots(message, new Set(parts), draft).map((s) => s.slot);

test("a message seen for the first time uploads every file", () => {
  assert.deepEqual(pending([]), ["attachment:0", "attachment:1", "sticker", "preview:0"]);
});

test("a redelivered message uploads only the files of parts not in the room yet", () => {
  assert.deepEqual(pending([0]), ["attachment:1", "sticker", "preview:0"]);
  assert.deepEqual(pending([0, 1, 2]), ["preview:0"]);
  assert.deepEqual(pending([0, 1, 2, 3]), []);
});
