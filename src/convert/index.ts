/**
 * Message conversion between Signal content and Matrix event content: pure functions, no
 * I/O, no clock, no randomness. Everything about the world comes in through the context
 * objects the bridge passes; media is uploaded/downloaded by the bridge, never here.
 *
 * Signal -> Matrix (every function returns what to do in the portal room):
 * - `signalMessageToMatrix(dataMessage, senderAci, ctx)` -> `MatrixAction[]`: new events
 *   (text with formatting and mention pills, attachments, stickers, contact cards, locations,
 *   polls, link previews, replies), a reaction (redacting the reaction it replaces), redactions
 *   for remote deletes, or a notice (timer change, payment, group call, pin, ...). Before
 *   calling, download and upload the files listed by `mediaSlotsOf(dataMessage)` and pass
 *   them in `ctx.media` under their slot; a missing slot becomes a visible "could not be
 *   bridged" notice. Record each `send` with a `part` under (sender, timestamp, part).
 * - `signalEditToMatrix(editMessage, senderAci, ctx)`: an `m.replace` of the message's last
 *   part (its text), or the whole message if it was never bridged.
 * - `signalGroupChangeToMatrix(change, ctx)`, `signalCallToMatrix`, `signalCallEventToMatrix`,
 *   `signalStoryToMatrix`, `safetyNumberChangedNotice`, `decryptionFailedNotice`: notices.
 *
 * Matrix -> Signal:
 * - `matrixEventToSignal(event, ctx)` -> `SignalOutgoing`: a partial `DataMessage` (text with
 *   body ranges and mentions, quote) plus `AttachmentDescription`s to upload; an edit; a
 *   reaction; or `ignored` with a reason to show the sender.
 * - `matrixRedactionToSignal(redacted)`: a delete for everyone, or a reaction removal.
 *
 * Long messages (`long-text.ts`): Signal carries a body over `MAX_INLINE_BODY_BYTES` as its start
 * plus a `text/x-signal-plain` attachment with the whole text. Sending, `splitLongBody` gives the
 * inline body and the text to upload; receiving, download `longTextAttachmentOf(message)` and
 * convert `withLongText(message, text)` instead of the message.
 *
 * Bounds (`text-limits.ts`): every conversion takes time linear in its input (n log n in body
 * ranges), HTML nesting deeper than `MAX_NESTING_DEPTH` is read as plain text, text is cut at
 * `MAX_TEXT_BYTES` with `CUT_MARK`, and at most `MAX_RANGES_PER_KIND` ranges of a style are kept.
 *
 * Building blocks, also public: `htmlToStyledText`, `styledTextToHtml`, `fromBodyRanges`,
 * `toBodyRanges`, `normalizeRanges`, `stripReplyFallback`. Body-range offsets are UTF-16
 * code units throughout, as on Signal.
 */
export { fromBodyRanges, toBodyRanges } from "./body-ranges.js";
export { durationText } from "./duration-text.js";
export { htmlToStyledText, MAX_NESTING_DEPTH, type AciOfMatrixUser } from "./html-to-styled-text.js";
export {
  LONG_TEXT_CONTENT_TYPE,
  MAX_INLINE_BODY_BYTES,
  MAX_LONG_TEXT_BYTES,
  longTextAttachmentOf,
  splitLongBody,
  withLongText,
} from "./long-text.js";
export * from "./matrix-content.js";
export {
  matrixEventToSignal,
  matrixRedactionToSignal,
  parseGeoUri,
  type AttachmentDescription,
  type MatrixEvent,
  type MatrixToSignalContext,
  type RedactedEvent,
  type SignalOutgoing,
} from "./matrix-event-to-signal.js";
export { stripReplyFallback, type SplitReply } from "./reply-fallback.js";
export { aciFromBytes } from "./service-id.js";
export { type MediaSource, type UploadedMedia } from "./signal-attachment-to-matrix.js";
export {
  signalGroupChangeToMatrix,
  type GroupAccess,
  type GroupChange,
  type GroupChangeAction,
} from "./signal-group-change-to-matrix.js";
export { mediaSlotsOf, signalEditToMatrix, signalMessageToMatrix } from "./signal-message-to-matrix.js";
export {
  decryptionFailedNotice,
  safetyNumberChangedNotice,
  signalCallEventToMatrix,
  signalCallToMatrix,
  signalStoryToMatrix,
} from "./signal-notices.js";
export { MAX_MATRIX_TEXT_BYTES } from "./signal-text-to-matrix.js";
export type { MatrixAction, SignalMessageRef, SignalToMatrixContext } from "./signal-to-matrix-context.js";
export {
  MENTION_PLACEHOLDER,
  TEXT_STYLES,
  normalizeRanges,
  type MentionRange,
  type StyleRange,
  type StyledText,
  type TextRange,
  type TextStyle,
} from "./styled-text.js";
export { styledTextToHtml, type MentionTarget, type RenderedText } from "./styled-text-to-html.js";
export { CUT_MARK, MAX_RANGES_PER_KIND, MAX_TEXT_BYTES, utf8Length } from "./text-limits.js";
