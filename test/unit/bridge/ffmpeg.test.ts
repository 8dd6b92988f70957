import assert from "node:assert/strict";
import { test } from "node:test";
import {
  displayConversion,
  Ffmpeg,
  isSignalVoiceType,
  renamed,
  waveformOf,
} from "../../../src/bridge/ffmpeg.js";
import { createLogger } from "../../../src/logger.js";

/** 16-bit little-endian PCM of the given sample values. */
function pcm(samples: number[]): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  samples.forEach((sample, i) => view.setInt16(i * 2, sample, true));
  return bytes;
}

test("the waveform is the peak of each slice, the loudest scaled to 1024", () => {
  const samples = [...new Array<number>(50).fill(1000), ...new Array<number>(50).fill(-4000)];
  const waveform = waveformOf(pcm(samples), 4);
  assert.deepEqual(waveform, [256, 256, 1024, 1024]);
});

test("silence and empty audio give a flat waveform of the full length", () => {
  assert.deepEqual(waveformOf(pcm(new Array<number>(10).fill(0)), 5), [0, 0, 0, 0, 0]);
  assert.deepEqual(waveformOf(new Uint8Array(), 3), [0, 0, 0]);
  assert.equal(waveformOf(pcm([1, 2, 3])).length, 100, "fewer samples than points still give 100 points");
  assert.equal(waveformOf(new Uint8Array([1, 2, 3])).length, 100, "an odd trailing byte is ignored");
});

test("the loudest negative sample counts (no overflow at -32768)", () => {
  assert.deepEqual(waveformOf(pcm([-32768, 16384]), 2), [1024, 512]);
});

test("AAC and M4A are played by Signal's apps as they are; Ogg is not", () => {
  assert.ok(isSignalVoiceType("audio/aac"));
  assert.ok(isSignalVoiceType("audio/mp4; codecs=mp4a.40.2"));
  assert.ok(isSignalVoiceType("Audio/X-M4A"));
  assert.ok(!isSignalVoiceType("audio/ogg"));
  assert.ok(!isSignalVoiceType(undefined));
});

test("a converted file keeps its name with the new extension", () => {
  assert.equal(renamed("Voice message.ogg", "m4a", "Voice message"), "Voice message.m4a");
  assert.equal(renamed("recording", "m4a", "Voice message"), "recording.m4a");
  assert.equal(renamed("", "m4a", "Voice message"), "Voice message.m4a");
  assert.equal(renamed(null, "png", "image"), "image.png");
  assert.equal(renamed("🎉", "png", "image"), "🎉.png");
});

test("files shown inline in formats Signal does not show are converted; others go as they are", () => {
  assert.equal(displayConversion("image", "image/png"), undefined);
  assert.equal(displayConversion("image", "image/webp"), undefined);
  assert.equal(displayConversion("image", "IMAGE/GIF"), undefined);
  assert.equal(displayConversion("image", "image/bmp"), "png");
  assert.equal(displayConversion("image", "image/svg+xml"), "png");
  assert.equal(displayConversion("image", "video/webm"), "mp4", "an animated sticker");
  assert.equal(displayConversion("video", "video/mp4"), undefined);
  assert.equal(displayConversion("video", "video/webm; codecs=vp9"), "mp4");
  assert.equal(displayConversion(undefined, "image/bmp"), undefined, "a file is sent as it is");
  assert.equal(displayConversion("image", "application/octet-stream"), undefined);
});

test("without ffmpeg a voice message is left as it is, with a log line", async () => {
  const lines: string[] = [];
  const ffmpeg = new Ffmpeg(
    "/nonexistent/ffmpeg",
    createLogger("warn", "test", (line) => lines.push(line) > 0),
  );
  assert.equal(await ffmpeg.toVoiceNote(new Uint8Array([1, 2, 3]), "voice.ogg"), undefined);
  assert.equal(await ffmpeg.measure(new Uint8Array([1, 2, 3]), "voice.aac"), undefined);
  assert.equal(lines.length, 2);
  assert.match(
    lines[0] ?? "",
    /voice message not converted, sent to Signal as it is: ffmpeg was not found at "\/nonexistent\/ffmpeg"/,
  );
  assert.match(lines[1] ?? "", /not measured/);
});
