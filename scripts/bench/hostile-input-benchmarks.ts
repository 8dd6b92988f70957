// Conversion of hostile input, whose cost must stay linear in its size: one deeply nested message
// once blocked the bridge for 10-17 s. Each figure times single conversions (p50/p99 matter here).
import {
  CUT_MARK,
  matrixEventToSignal,
  signalMessageToMatrix,
  type MatrixEvent,
} from "../../src/convert/index.js";
import type { signalservice } from "../../src/proto/generated/signal.js";
import { BOB, matrixContext, signalContext } from "../../test/unit/convert/fake-context.js";
import { measureLatency, type Figure } from "./measure.js";

const RUN = { warmupOps: 3, durationMs: 2000, maxOps: 500 };
const DEEP_LIST_ITEMS = 3500;

const html = (formatted_body: string): MatrixEvent => ({
  type: "m.room.message",
  content: {
    msgtype: "m.text",
    body: "(see the formatted body)",
    format: "org.matrix.custom.html",
    formatted_body,
  },
});

/** Built when measured, so that no other section runs with megabytes of fixtures in memory. */
function fixtures() {
  return {
    /** The message that blocked the bridge: 3 500 nested list items, 66 KB of HTML. */
    deepList: html("<ol><li>x".repeat(DEEP_LIST_ITEMS) + "</li></ol>".repeat(DEEP_LIST_ITEMS)),
    /** A megabyte of ordinary formatting, far more than Signal carries. */
    megabyteHtml: html(`<p>${"hello <b>world</b>, <i>see</i> <code>this</code> ".repeat(25_000)}</p>`),
    /** A megabyte of text with 20 000 overlapping, nested and out-of-bounds body ranges. */
    hostileSignal: {
      body: "0123456789".repeat(100_000),
      bodyRanges: Array.from({ length: 20_000 }, (_, i) => ({
        start: ((i * 7919) % 1_100_000) - 50_000,
        length: (i * 104_729) % 200_000,
        style: 1 + (i % 5),
      })),
      timestamp: 5,
    } satisfies signalservice.IDataMessage,
  };
}

/** A fixture that no longer takes the path it was written for would make its figure measure something else. */
async function check({ deepList, megabyteHtml, hostileSignal }: ReturnType<typeof fixtures>): Promise<void> {
  const problems: string[] = [];
  const deep = await matrixEventToSignal(deepList, matrixContext());
  if (deep.kind !== "message" || deep.dataMessage.body?.split("\n").length !== DEEP_LIST_ITEMS) {
    problems.push("deep list (every item a line)");
  }
  const megabyte = await matrixEventToSignal(megabyteHtml, matrixContext());
  if (megabyte.kind !== "message" || !megabyte.dataMessage.body?.endsWith(CUT_MARK)) {
    problems.push("megabyte of HTML (cut at the size cap)");
  }
  const hostile = (await signalMessageToMatrix(hostileSignal, BOB, signalContext()))[0];
  const hostileBody =
    hostile?.kind === "send" && hostile.eventType === "m.room.message" ? hostile.content.body : "";
  if (!hostileBody.includes("too long for Matrix")) problems.push("hostile Signal text (cut to fit Matrix)");
  if (problems.length > 0) {
    throw new Error(`hostile fixtures no longer convert as meant: ${problems.join(", ")}`);
  }
}

export async function hostileInputFigures(): Promise<Figure[]> {
  const input = fixtures();
  await check(input);
  const matrixCtx = matrixContext();
  const signalCtx = signalContext();
  return [
    await measureLatency(
      "convert Matrix -> Signal: 3 500 nested <ol><li> (66 KB)",
      "events/s",
      () => matrixEventToSignal(input.deepList, matrixCtx),
      RUN,
    ),
    await measureLatency(
      "convert Matrix -> Signal: 1 MB of formatted HTML",
      "events/s",
      () => matrixEventToSignal(input.megabyteHtml, matrixCtx),
      RUN,
    ),
    await measureLatency(
      "convert Signal -> Matrix: 1 MB text, 20 000 hostile ranges",
      "msg/s",
      () => signalMessageToMatrix(input.hostileSignal, BOB, signalCtx),
      RUN,
    ),
  ];
}
