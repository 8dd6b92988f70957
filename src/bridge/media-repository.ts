// The homeserver's media repository, spoken to directly: the Matrix SDK only uploads whole
// buffers, and files of up to media.max_size_mb should stream through the bridge instead.
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";

/** A file is larger than the bridge's media.max_size_mb allows. */
export class MediaTooLargeError extends Error {
  override name = "MediaTooLargeError";
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      `the file is ${mebibytes(size)}, more than this bridge's limit of ${mebibytes(limit)} ` +
        "(media.max_size_mb in its config); send a smaller file",
    );
  }
}

/** The homeserver refused or failed a media upload or download. */
export class MediaRepositoryError extends Error {
  override name = "MediaRepositoryError";
}

export function mebibytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A download in progress: `size` is the homeserver's Content-Length, when it sent one. */
export interface MediaDownload {
  stream: Readable;
  size: number | undefined;
  contentType: string | undefined;
}

export class MediaRepository {
  constructor(
    private readonly homeserverUrl: string,
    private readonly accessToken: string,
  ) {}

  /** Uploads exactly `size` bytes read from `body`; resolves with the mxc:// URL. */
  async upload(body: Readable, size: number, contentType: string, fileName?: string): Promise<string> {
    const url = this.url("/_matrix/media/v3/upload");
    if (fileName) url.searchParams.set("filename", fileName);
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(url, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${this.accessToken}`,
        "Content-Type": contentType,
        "Content-Length": String(size),
      },
    });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      request.once("response", resolve);
      request.once("error", reject);
    });
    // Awaited after the body is sent; a body that fails first makes the request fail too.
    response.catch(() => undefined);
    // A failing source (a Signal attachment whose digest does not verify) aborts the request,
    // so the homeserver never stores a partial or forged file.
    await pipeline(body, request).catch((error: unknown) => {
      request.destroy();
      throw error;
    });
    const answer = await response;
    const text = await readText(answer, 64 * 1024);
    if (answer.statusCode !== 200) {
      throw new MediaRepositoryError(
        `the homeserver refused the upload (${answer.statusCode ?? "no status"}: ${text.slice(0, 200)})`,
      );
    }
    const contentUri = (JSON.parse(text) as { content_uri?: unknown }).content_uri;
    if (typeof contentUri !== "string" || !contentUri.startsWith("mxc://")) {
      throw new MediaRepositoryError("the homeserver answered the upload without an mxc:// URL");
    }
    return contentUri;
  }

  /**
   * Starts downloading an mxc:// file: authenticated media (Matrix 1.11) first, the legacy
   * unauthenticated endpoint on homeservers that do not know it.
   */
  async download(mxc: string): Promise<MediaDownload> {
    const match = /^mxc:\/\/([^/]+)\/([^/?#]+)$/.exec(mxc);
    if (!match) throw new MediaRepositoryError(`${mxc} is not a valid mxc:// URL`);
    const path = `${encodeURIComponent(match[1] as string)}/${encodeURIComponent(match[2] as string)}`;
    let response = await this.get(`/_matrix/client/v1/media/download/${path}`);
    if ((response.status === 404 || response.status === 405) && !(await isMissingFile(response))) {
      response = await this.get(`/_matrix/media/v3/download/${path}`);
    }
    if (!response.ok || !response.body) {
      const reason = (await response.text().catch(() => "")).slice(0, 200);
      throw new MediaRepositoryError(`the homeserver could not serve ${mxc} (${response.status}: ${reason})`);
    }
    const length = response.headers.get("content-length");
    return {
      stream: Readable.fromWeb(response.body as ReadableStream),
      size: length === null ? undefined : Number(length),
      contentType: response.headers.get("content-type") ?? undefined,
    };
  }

  private get(path: string): Promise<Response> {
    return fetch(this.url(path), { headers: { Authorization: `Bearer ${this.accessToken}` } });
  }

  private url(path: string): URL {
    return new URL(`${this.homeserverUrl.replace(/\/+$/, "")}${path}`);
  }
}

/** A 404 with M_NOT_FOUND is a file that does not exist; any other means the endpoint is unknown. */
async function isMissingFile(response: Response): Promise<boolean> {
  const text = await response
    .clone()
    .text()
    .catch(() => "");
  try {
    return (JSON.parse(text) as { errcode?: unknown }).errcode === "M_NOT_FOUND";
  } catch {
    return false;
  }
}

async function readText(response: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (length < limit) chunks.push(chunk);
    length += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString("utf8");
}
