/**
 * Everything a simulated Signal contact receives as data messages and receipts, in arrival
 * order, for tests that count: how many arrived, with which timestamps, bodies and order, and
 * what a Signal app would show of them (it takes a message whose sender, device and timestamp
 * it has seen before as that message again, so a sender may repeat a send it is unsure of). While
 * an inbox is open it takes the contact's data messages and receipts instead of the mock's
 * queues (`waitForMessage()`, `waitForReceipt()`), so nothing is left in those queues for later
 * tests; `close()` gives them back to them.
 */
import type { PrimaryDevice } from "@signalapp/mock-server";
import { waitFor } from "./wait.js";

type DataMessage = Awaited<ReturnType<PrimaryDevice["waitForMessage"]>>["dataMessage"];
type ReceiptMessage = Awaited<ReturnType<PrimaryDevice["waitForReceipt"]>>["receiptMessage"];

export interface ReceivedMessage {
  /** ACI of the sending account. */
  sourceAci: string;
  /** The sending device of that account. */
  sourceDevice: number;
  body: string;
  /** The sent timestamp, which identifies the message on Signal together with its author. */
  timestamp: number;
  dataMessage: DataMessage;
}

export interface ReceivedReceipt {
  sourceAci: string;
  /** 0 delivery, 1 read, 2 viewed (the wire enum). */
  type: number;
  /** The sent timestamps of the messages the receipt is about. */
  timestamps: number[];
}

export interface ContactInbox {
  /** The data messages that arrived so far, in arrival order, repeats included. */
  readonly messages: readonly ReceivedMessage[];
  /**
   * What a Signal app shows of the data messages (whose body starts with `prefix`), in arrival
   * order: a repeat of an earlier sender, device and timestamp is left out.
   */
  shown(prefix?: string): ReceivedMessage[];
  /** How many deliveries repeated an earlier message (same sender, device and timestamp). */
  readonly repeats: number;
  /** The receipts that arrived so far, in arrival order. */
  readonly receipts: readonly ReceivedReceipt[];
  /** Waits until `count` shown messages match; the failure says how many did. */
  waitForCount(
    count: number,
    options: { timeoutMs: number; what: string; matches?: (message: ReceivedMessage) => boolean },
  ): Promise<void>;
  close(): void;
}

type Handler<T> = (
  source: { aci: string; deviceId: number },
  serviceIdKind: unknown,
  envelopeType: unknown,
  content: unknown,
  message: T,
) => void;

/** Opens the inbox of `contact`; close it when the test is done. */
export function openContactInbox(contact: PrimaryDevice): ContactInbox {
  // The mock hands each decrypted message to one of these private methods, which queue it.
  const device = contact as unknown as {
    handleDataMessage: Handler<DataMessage>;
    handleReceiptMessage: Handler<ReceiptMessage>;
  };
  const originals = {
    handleDataMessage: device.handleDataMessage,
    handleReceiptMessage: device.handleReceiptMessage,
  };
  const messages: ReceivedMessage[] = [];
  const shown: ReceivedMessage[] = [];
  const seen = new Set<string>();
  const receipts: ReceivedReceipt[] = [];
  device.handleDataMessage = (source, _kind, _type, _content, dataMessage) => {
    const message = {
      sourceAci: source.aci,
      sourceDevice: source.deviceId,
      body: dataMessage.body ?? "",
      timestamp: Number(dataMessage.timestamp),
      dataMessage,
    };
    messages.push(message);
    const key = `${message.sourceAci}.${message.sourceDevice}/${message.timestamp}`;
    if (seen.has(key)) return;
    seen.add(key);
    shown.push(message);
  };
  device.handleReceiptMessage = (source, _kind, _type, _content, receiptMessage) => {
    receipts.push({
      sourceAci: source.aci,
      type: Number(receiptMessage.type ?? 0),
      timestamps: receiptMessage.timestamp.map(Number),
    });
  };
  return {
    messages,
    receipts,
    shown: (prefix = "") => shown.filter((message) => message.body.startsWith(prefix)),
    get repeats() {
      return messages.length - shown.length;
    },
    async waitForCount(count, { timeoutMs, what, matches = () => true }) {
      await waitFor(() => shown.filter(matches).length >= count, {
        timeoutMs,
        what: () => `${what} (${shown.filter(matches).length} of ${count} arrived)`,
        intervalMs: 250,
      });
    },
    close() {
      Object.assign(device, originals);
    },
  };
}

/**
 * What went wrong between the bodies a user sent and the ones that arrived: missing, doubled,
 * unexpected and out-of-order bodies, or "" when they are the same list.
 */
export function describeDifferences(expected: readonly string[], received: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const body of received) counts.set(body, (counts.get(body) ?? 0) + 1);
  const missing = expected.filter((body) => !counts.has(body));
  const doubled = [...counts].filter(([, n]) => n > 1).map(([body, n]) => `${body} x${n}`);
  const wanted = new Set(expected);
  const unexpected = received.filter((body) => !wanted.has(body));
  const firstOnce = received.filter((body, i) => received.indexOf(body) === i && wanted.has(body));
  const order = expected.filter((body) => counts.has(body));
  const firstDisorder = order.findIndex((body, i) => firstOnce[i] !== body);
  const problems = [
    missing.length > 0 ? `missing ${missing.length}: ${abbreviate(missing)}` : "",
    doubled.length > 0 ? `doubled ${doubled.length}: ${abbreviate(doubled)}` : "",
    unexpected.length > 0 ? `unexpected ${unexpected.length}: ${abbreviate(unexpected)}` : "",
    firstDisorder >= 0
      ? `out of order from position ${firstDisorder}: expected ${order[firstDisorder]}, got ${firstOnce[firstDisorder]} (arrival order there: ${firstOnce.slice(Math.max(0, firstDisorder - 3), firstDisorder + 12).join(", ")})`
      : "",
  ].filter(Boolean);
  return problems.join("; ");
}

function abbreviate(items: readonly string[]): string {
  return items.length > 12 ? `${items.slice(0, 12).join(", ")}, ...` : items.join(", ");
}
