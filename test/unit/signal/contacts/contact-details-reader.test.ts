import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { signalservice } from "../../../../src/proto/generated/signal.js";
import {
  ContactSyncError,
  readContactDetails,
  type ContactDetailsEntry,
} from "../../../../src/signal/contacts/contact-details-reader.js";

function varint(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

function entry(details: signalservice.ContactDetails.$Properties, avatar?: Buffer): Buffer {
  const encoded = Buffer.from(signalservice.ContactDetails.encode(details).finish());
  return Buffer.concat([varint(encoded.length), encoded, avatar ?? Buffer.alloc(0)]);
}

async function* inChunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<ContactDetailsEntry[]> {
  const entries: ContactDetailsEntry[] = [];
  for await (const item of readContactDetails(source)) entries.push(item);
  return entries;
}

const aciBinary = Buffer.from("0f1e2d3c4b5a69788796a5b4c3d2e1f0", "hex");
const avatar = randomBytes(3000);
const list = Buffer.concat([
  entry({ aciBinary, number: "+15550001111", name: "Ada", expireTimer: 3600 }),
  entry(
    {
      aci: "6a9b1a20-5c55-4e9b-9f34-1c0d9e3b2a10",
      name: "Grace",
      avatar: { contentType: "image/jpeg", length: avatar.length },
    },
    avatar,
  ),
  // A long entry needs a multi-byte length prefix.
  entry({ aci: "11111111-2222-4333-8444-555555555555", name: "x".repeat(300) }),
]);

test("contacts and their avatars are read in order, however the stream is chunked", async () => {
  for (const chunkSize of [1, 2, 7, 100, 4096, list.length]) {
    const entries = await readAll(inChunks(list, chunkSize));
    assert.deepEqual(
      entries.map((e) => e.details.name),
      ["Ada", "Grace", "x".repeat(300)],
      `chunks of ${chunkSize}`,
    );
    assert.equal(entries[0]?.details.number, "+15550001111");
    assert.equal(entries[0]?.details.expireTimer, 3600);
    assert.ok(Buffer.from(entries[0]?.details.aciBinary ?? []).equals(aciBinary));
    assert.equal(entries[0]?.avatar, null);
    assert.ok(Buffer.from(entries[1]?.avatar ?? []).equals(avatar), "the avatar bytes follow their entry");
    assert.equal(entries[2]?.avatar, null);
  }
});

test("an empty contact list has no contacts", async () => {
  assert.deepEqual(await readAll(inChunks(Buffer.alloc(0), 1)), []);
});

test("a list cut in the middle of an entry or an avatar is an error", async () => {
  for (const length of [1, 10, list.length - 1, list.length - avatar.length - 400]) {
    await assert.rejects(
      readAll(inChunks(list.subarray(0, length), 50)),
      ContactSyncError,
      `cut at ${length}`,
    );
  }
});

test("bytes that are not ContactDetails are an error", async () => {
  const garbage = Buffer.concat([varint(4), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
  await assert.rejects(readAll(inChunks(garbage, 3)), /not a valid ContactDetails/);
  const badLength = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  await assert.rejects(readAll(inChunks(badLength, 3)), /length prefix is malformed/);
});
