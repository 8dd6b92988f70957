// Message conversion both ways, on a mix of messages like those a chat carries.
import {
  matrixEventToSignal,
  signalMessageToMatrix,
  type MatrixEvent,
  type MatrixToSignalContext,
  type SignalToMatrixContext,
} from "../../src/convert/index.js";
import type { signalservice } from "../../src/proto/generated/signal.js";
import { ALICE, BOB, ghostOf, matrixContext, signalContext } from "../../test/unit/convert/fake-context.js";
import { measureAsyncThroughput, type DurationRun, type Figure } from "./measure.js";

const RUN: DurationRun = { warmupMs: 500, durationMs: 2000 };

// Body range styles (signalservice.BodyRange.Style).
const BOLD = 1;
const ITALIC = 2;
const MONOSPACE = 5;
const MENTION = "\uFFFC";

const aciBytes = (aci: string): Uint8Array => new Uint8Array(Buffer.from(aci.replace(/-/g, ""), "hex"));

const FORMATTED = `Hey ${MENTION}, the deploy is done; ${MENTION} please check bridge.log before 5 pm.`;
const rangeOf = (text: string, part: string) => ({ start: text.indexOf(part), length: part.length });

const REPLIED_TO = { authorAci: BOB, sentTimestamp: 1_700_000_000_000 };
const REPLIED_TO_EVENT = "$bob-question:example.org";

/** Plain text, formatted text with mentions, a reply and a captioned photo. */
const signalMessages: signalservice.IDataMessage[] = [
  { body: "Are we still on for dinner tonight? I can bring dessert if nobody else does.", timestamp: 1 },
  {
    body: FORMATTED,
    bodyRanges: [
      { start: FORMATTED.indexOf(MENTION), length: 1, mentionAciBinary: aciBytes(ALICE) },
      { ...rangeOf(FORMATTED, "done"), style: BOLD },
      { start: FORMATTED.lastIndexOf(MENTION), length: 1, mentionAciBinary: aciBytes(BOB) },
      { ...rangeOf(FORMATTED, "bridge.log"), style: MONOSPACE },
      { ...rangeOf(FORMATTED, "before 5 pm"), style: ITALIC },
    ],
    timestamp: 2,
  },
  {
    body: "Yes, 7 pm works for me. I'll book a table.",
    quote: { id: REPLIED_TO.sentTimestamp, authorAci: BOB, text: "Shall we meet at 7 or 8?" },
    timestamp: 3,
  },
  {
    body: "The view from the office today",
    attachments: [
      {
        contentType: "image/jpeg",
        fileName: "IMG_2041.jpg",
        size: 245_760,
        width: 1280,
        height: 960,
        blurHash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
      },
    ],
    timestamp: 4,
  },
];

const signalCtx: SignalToMatrixContext = signalContext({
  bridged: [{ ref: REPLIED_TO, eventIds: [REPLIED_TO_EVENT] }],
  media: { "attachment:0": { url: "mxc://example.org/IMG_2041", size: 245_760 } },
});

const pill = (aci: string, name: string): string =>
  `<a href="https://matrix.to/#/${ghostOf(aci)}">${name}</a>`;

/** HTML with mentions and styles, a reply (with its fallback) and a list with code. */
const matrixEvents: MatrixEvent[] = [
  {
    type: "m.room.message",
    content: {
      msgtype: "m.text",
      body: "Alice: the **release** is tagged, Bob please write the notes",
      format: "org.matrix.custom.html",
      formatted_body: `${pill(ALICE, "Alice")}: the <strong>release</strong> is tagged, ${pill(BOB, "Bob")} please write the <em>notes</em>`,
    },
  },
  {
    type: "m.room.message",
    content: {
      msgtype: "m.text",
      body: `> <${ghostOf(BOB)}> Shall we meet at 7 or 8?\n\nLet's say 7, see you there`,
      format: "org.matrix.custom.html",
      formatted_body:
        `<mx-reply><blockquote><a href="https://matrix.to/#/!portal:example.org/${REPLIED_TO_EVENT}">In reply to</a> ` +
        `${pill(BOB, ghostOf(BOB))}<br>Shall we meet at 7 or 8?</blockquote></mx-reply>Let's say <strong>7</strong>, see you there`,
      "m.relates_to": { "m.in_reply_to": { event_id: REPLIED_TO_EVENT } },
    },
  },
  {
    type: "m.room.message",
    content: {
      msgtype: "m.text",
      body: "Todo for Alice:\n- update the config\n- restart with --verbose",
      format: "org.matrix.custom.html",
      formatted_body:
        `<p>Todo for ${pill(ALICE, "Alice")}:</p><ul><li>update the <code>config</code></li>` +
        `<li>restart with <code>--verbose</code> and <del>hope</del> check</li></ul>`,
    },
  },
];

const matrixCtx: MatrixToSignalContext = matrixContext({ [REPLIED_TO_EVENT]: REPLIED_TO });

/**
 * A fixture that no longer takes the path it was written for (a mention not found, a reply not
 * recognised, the photo missing) would make a figure measure something else: stop instead.
 */
async function checkFixtures(): Promise<void> {
  const problems: string[] = [];
  const [plain, formatted, reply, photo] = await Promise.all(
    signalMessages.map(async (message) => {
      const first = (await signalMessageToMatrix(message, BOB, signalCtx))[0];
      return first?.kind === "send" && first.eventType === "m.room.message" ? first.content : undefined;
    }),
  );
  if (plain?.msgtype !== "m.text") problems.push("Signal plain text");
  if (formatted?.["m.mentions"]?.user_ids?.length !== 2) problems.push("Signal text with two mentions");
  if (reply?.["m.relates_to"] === undefined) problems.push("Signal reply");
  if (photo?.msgtype !== "m.image") problems.push("Signal photo");
  for (const [index, event] of matrixEvents.entries()) {
    const out = await matrixEventToSignal(event, matrixCtx);
    if (out.kind !== "message" || !out.dataMessage.bodyRanges?.length) {
      problems.push(`Matrix event ${index} (formatted)`);
    }
  }
  const matrixReply = await matrixEventToSignal(matrixEvents[1]!, matrixCtx);
  if (matrixReply.kind !== "message" || !matrixReply.dataMessage.quote) problems.push("Matrix reply");
  if (problems.length > 0) {
    throw new Error(`conversion fixtures no longer convert as meant: ${problems.join(", ")}`);
  }
}

export async function conversionFigures(): Promise<Figure[]> {
  await checkFixtures();
  return [
    await measureAsyncThroughput(
      "convert Signal -> Matrix (text, mentions+styles, reply, photo)",
      "msg/s",
      async (i) =>
        (await signalMessageToMatrix(signalMessages[i % signalMessages.length]!, BOB, signalCtx)).length,
      RUN,
    ),
    await measureAsyncThroughput(
      "convert Matrix -> Signal (HTML with mentions, reply)",
      "events/s",
      async (i) => (await matrixEventToSignal(matrixEvents[i % matrixEvents.length]!, matrixCtx)).kind.length,
      RUN,
    ),
  ];
}
