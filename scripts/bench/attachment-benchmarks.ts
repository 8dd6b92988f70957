// The streaming attachment cipher on a 20 MiB file, fed in 64 KiB chunks as a file or socket gives them.
import { randomBytes } from "node:crypto";
import { Readable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AttachmentDecryptor,
  AttachmentEncryptor,
  generateAttachmentKey,
} from "../../src/signal/attachments/attachment-cipher.js";
import { measureBandwidth, type Figure } from "./measure.js";

const MEBIBYTES = 20;
const CHUNK_BYTES = 64 * 1024;
const RUN = { warmups: 1, iterations: 5 };

function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
    chunks.push(data.subarray(offset, offset + CHUNK_BYTES));
  }
  return chunks;
}

/** Streams `chunks` through `transform` and returns what came out. */
async function streamThrough(chunks: Buffer[], transform: Transform): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), transform, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return out;
}

export async function attachmentFigures(): Promise<Figure[]> {
  const size = MEBIBYTES * 1024 * 1024;
  const plaintext = chunksOf(randomBytes(size));
  const key = generateAttachmentKey();

  let blob = Buffer.alloc(0);
  let digest: Uint8Array = new Uint8Array(0);
  const encrypt = async (): Promise<void> => {
    const encryptor = new AttachmentEncryptor(key, size);
    blob = Buffer.concat(await streamThrough(plaintext, encryptor));
    digest = encryptor.digest;
  };
  const encrypted = await measureBandwidth(
    `attachments: encrypt ${MEBIBYTES} MiB (pad, AES-CBC, HMAC, digest)`,
    MEBIBYTES,
    encrypt,
    RUN,
  );

  const blobChunks = chunksOf(blob);
  const decrypted = await measureBandwidth(
    `attachments: decrypt and verify ${MEBIBYTES} MiB`,
    MEBIBYTES,
    async () => {
      const out = await streamThrough(blobChunks, new AttachmentDecryptor(key, { size, digest }));
      const length = out.reduce((sum, chunk) => sum + chunk.length, 0);
      if (length !== size) throw new Error(`decryption gave ${length} bytes, not ${size}`);
    },
    RUN,
  );
  return [encrypted, decrypted];
}
