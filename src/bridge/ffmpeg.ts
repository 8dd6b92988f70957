// Media through the system ffmpeg (media.ffmpeg_path): Matrix voice messages (Ogg/Opus) become
// AAC in an M4A file, which every Signal app plays as a voice note; images, stickers and videos
// in formats Signal's apps do not show become PNG or H.264 MP4; Signal voice notes are decoded
// once to measure their duration and waveform for Matrix clients.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../logger.js";

/** How long one ffmpeg run may take before it is stopped. */
const FFMPEG_TIMEOUT_MS = 120_000;
/** Sample rate of the PCM decoded for measuring (plenty for a waveform, small for an hour). */
const MEASURE_SAMPLE_RATE = 8000;
/** Decoded audio beyond this many seconds is not measured (the duration then says at least this). */
const MAX_MEASURED_SECONDS = 3 * 3600;
/** Points in an MSC1767 waveform. */
const WAVEFORM_POINTS = 100;
/** MSC1767 waveform values are 0..1024. */
const WAVEFORM_MAX = 1024;
const STDERR_TAIL_BYTES = 2000;

/** Content types of files Signal's apps play as voice notes without conversion. */
const SIGNAL_VOICE_TYPES = new Set(["audio/aac", "audio/mp4", "audio/x-m4a", "audio/m4a"]);

export interface AudioMeasure {
  durationMs: number;
  /** MSC1767 waveform: WAVEFORM_POINTS values of 0..1024, the loudest being 1024. */
  waveform: number[];
}

/** True if Signal's apps play `contentType` as a voice note as it is. */
export function isSignalVoiceType(contentType: string | undefined): boolean {
  return contentType !== undefined && SIGNAL_VOICE_TYPES.has(baseType(contentType));
}

/** The name of a converted file: the same name with the new extension. */
export function renamed(fileName: string | null | undefined, extension: string, fallback: string): string {
  const base = (fileName || fallback).replace(/\.[A-Za-z0-9]{1,5}$/, "");
  return `${base}.${extension}`;
}

/** Image types every Signal app shows inline. */
const SIGNAL_IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
/** Video types every Signal app plays inline (iOS plays neither WebM nor Matroska). */
const SIGNAL_VIDEO_TYPES = new Set(["video/mp4"]);

/**
 * What a file meant to be shown inline must become for Signal's apps to show it: a still PNG
 * for images in other formats, H.264 MP4 for other videos (and animated stickers, which
 * Matrix clients send as WebM); undefined when Signal shows it as it is.
 */
export function displayConversion(
  shown: "image" | "video" | undefined,
  contentType: string,
): "png" | "mp4" | undefined {
  if (!shown) return undefined;
  const type = baseType(contentType);
  if (type.startsWith("image/")) return SIGNAL_IMAGE_TYPES.has(type) ? undefined : "png";
  if (type.startsWith("video/")) return SIGNAL_VIDEO_TYPES.has(type) ? undefined : "mp4";
  return undefined;
}

function baseType(contentType: string): string {
  return (contentType.toLowerCase().split(";")[0] ?? "").trim();
}

/**
 * The MSC1767 waveform of 16-bit little-endian mono PCM: the peak of each of WAVEFORM_POINTS
 * equal slices, scaled so the loudest slice is 1024. Silence (or no samples) is all zeros.
 */
export function waveformOf(pcm: Uint8Array, points = WAVEFORM_POINTS): number[] {
  const samples = Math.floor(pcm.length / 2);
  const view = new DataView(pcm.buffer, pcm.byteOffset, samples * 2);
  const peaks = new Array<number>(points).fill(0);
  if (samples === 0) return peaks;
  for (let point = 0; point < points; point++) {
    const start = Math.floor((point * samples) / points);
    const end = Math.max(start + 1, Math.floor(((point + 1) * samples) / points));
    let peak = 0;
    for (let i = start; i < end && i < samples; i++) {
      const value = Math.abs(view.getInt16(i * 2, true));
      if (value > peak) peak = value;
    }
    peaks[point] = peak;
  }
  const loudest = Math.max(...peaks);
  if (loudest === 0) return peaks;
  return peaks.map((peak) => Math.round((peak / loudest) * WAVEFORM_MAX));
}

class FfmpegError extends Error {
  override name = "FfmpegError";
}

/** The system ffmpeg, run on temporary files that are removed after each run. */
export class Ffmpeg {
  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  /**
   * A voice message as AAC in M4A (mono, 64 kbit/s), or undefined (logged) if ffmpeg is
   * missing or fails: the caller then sends the file as it is.
   */
  async toVoiceNote(data: Uint8Array, inputName: string): Promise<Uint8Array | undefined> {
    const args = ["-vn", "-map_metadata", "-1", "-ac", "1", "-c:a", "aac", "-b:a", "64k"];
    return this.convert(
      data,
      inputName,
      [...args, "-movflags", "+faststart", "-f", "mp4"],
      "m4a",
      "voice message",
    );
  }

  /** The first frame of an image as PNG, or undefined (logged) if ffmpeg is missing or fails. */
  async toPng(data: Uint8Array, inputName: string): Promise<Uint8Array | undefined> {
    return this.convert(data, inputName, ["-frames:v", "1", "-f", "image2", "-c:v", "png"], "png", "image");
  }

  /**
   * A video as H.264 in MP4, which every Signal app plays (even dimensions, yuv420p), without
   * sound when `silent` (GIFs, animated stickers); undefined (logged) if ffmpeg is missing or fails.
   */
  async toMp4(data: Uint8Array, inputName: string, silent: boolean): Promise<Uint8Array | undefined> {
    const video = ["-map_metadata", "-1", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"];
    const even = ["-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2"];
    const audio = silent ? ["-an"] : ["-c:a", "aac"];
    const args = [...video, ...even, ...audio, "-movflags", "+faststart", "-f", "mp4"];
    return this.convert(data, inputName, args, "mp4", "video");
  }

  /** Runs one conversion from a file to a file; undefined (logged) if it fails. */
  private async convert(
    data: Uint8Array,
    inputName: string,
    outputArgs: string[],
    outputExtension: string,
    what: string,
  ): Promise<Uint8Array | undefined> {
    try {
      return await this.withTempDir(async (dir) => {
        const input = join(dir, `input${extensionOf(inputName)}`);
        const output = join(dir, `output.${outputExtension}`);
        await writeFile(input, data);
        await this.run(["-i", input, ...outputArgs, output], 0);
        return new Uint8Array(await readFile(output));
      });
    } catch (error) {
      this.logger.warn(`${what} not converted, sent to Signal as it is: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Duration and waveform of an audio file, or undefined (logged) if ffmpeg is missing or fails. */
  async measure(data: Uint8Array, inputName: string): Promise<AudioMeasure | undefined> {
    try {
      return await this.withTempDir(async (dir) => {
        const input = join(dir, `input${extensionOf(inputName)}`);
        await writeFile(input, data);
        const maxBytes = MAX_MEASURED_SECONDS * MEASURE_SAMPLE_RATE * 2;
        const pcm = await this.run(
          ["-i", input, "-vn", "-ac", "1", "-ar", String(MEASURE_SAMPLE_RATE), "-f", "s16le", "pipe:1"],
          maxBytes,
        );
        const durationMs = Math.round((Math.floor(pcm.length / 2) / MEASURE_SAMPLE_RATE) * 1000);
        return { durationMs, waveform: waveformOf(pcm) };
      });
    } catch (error) {
      this.logger.warn(`voice note not measured (no duration or waveform): ${(error as Error).message}`);
      return undefined;
    }
  }

  private async withTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(tmpdir(), "signal-bridge-audio-"));
    try {
      return await work(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Runs ffmpeg with `args`; resolves with up to `maxStdout` bytes of its output. */
  private run(args: string[], maxStdout: number): Promise<Uint8Array> {
    const fullArgs = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(this.path, fullArgs, { stdio: ["ignore", "pipe", "pipe"] });
      const chunks: Buffer[] = [];
      let length = 0;
      let stderr = "";
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new FfmpegError(`${this.path} took more than ${FFMPEG_TIMEOUT_MS / 1000} s`));
      }, FFMPEG_TIMEOUT_MS);
      child.stdout.on("data", (chunk: Buffer) => {
        if (length >= maxStdout) return;
        const kept = chunk.subarray(0, maxStdout - length);
        chunks.push(kept);
        length += kept.length;
        if (length >= maxStdout) child.kill("SIGKILL");
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
      });
      child.on("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(
          new FfmpegError(
            error.code === "ENOENT"
              ? `ffmpeg was not found at "${this.path}" (install ffmpeg or set media.ffmpeg_path)`
              : `${this.path} could not be started: ${error.message}`,
          ),
        );
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        const truncated = maxStdout > 0 && length >= maxStdout;
        if (code === 0 || truncated) resolve(Buffer.concat(chunks));
        else
          reject(
            new FfmpegError(
              `${this.path} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || "no message"}`,
            ),
          );
      });
    });
  }
}

function extensionOf(name: string): string {
  const match = /\.[A-Za-z0-9]{1,5}$/.exec(name);
  return match ? match[0].toLowerCase() : "";
}
