// Synapse's own time for each send request, from its access log ("Processed request: <s>sec/..."
// at INFO). Its process CPU per message counts whatever else it did meanwhile (sync streams,
// appservice pushes, the other user's client); this is the time it spent on the request itself,
// from receiving it to having answered it, so bridged and reference sends compare directly.
import { openSync, readSync, closeSync, statSync } from "node:fs";

// {@user:server} Processed request: 0.035sec/0.001sec ... "PUT /_matrix/client/v3/rooms/!r/send/m.room.message/txn?... HTTP/1.1"
const SEND_LINE = /\{(@[^}]+)\} Processed request: ([\d.]+)sec\/.*"PUT \S+\/send\/m\.room\.message\//;

/** The log from now on: `sendTimes` reads what was written since. */
export function accessLogFrom(logFile: string): {
  /** The times of the send requests made as a user `isSender` accepts. */
  sendTimes(isSender: (userId: string) => boolean): number[];
} {
  const from = statSync(logFile).size;
  return {
    sendTimes(isSender) {
      const to = statSync(logFile).size;
      const buffer = Buffer.alloc(to - from);
      const fd = openSync(logFile, "r");
      try {
        readSync(fd, buffer, 0, buffer.length, from);
      } finally {
        closeSync(fd);
      }
      const times: number[] = [];
      for (const line of buffer.toString("utf8").split("\n")) {
        const match = SEND_LINE.exec(line);
        if (match && isSender(match[1]!)) times.push(Number(match[2]) * 1000);
      }
      return times;
    },
  };
}
