import { safetyNumber } from "../../signal/index.js";
import { type BotCommand, escapeHtml } from "../bot-commands.js";
import { bestName } from "../ghosts.js";
import { type CommandDeps, requireLogin } from "./command-deps.js";
import { lookUpContact, lookupProblem } from "./contact-lookup.js";

/** 60 digits as Signal's apps show them: 12 groups of 5, four groups a line. */
export function formatSafetyNumber(digits: string): string {
  const groups = digits.match(/\d{5}/g) ?? [];
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += 4) lines.push(groups.slice(i, i + 4).join(" "));
  return lines.join("\n");
}

/** `safety-number <contact>`: the number to compare with the contact's phone. */
export function safetyNumberCommand({ store, logins, names }: CommandDeps): BotCommand {
  return {
    name: "safety-number",
    summary: "Show the safety number to compare with a contact: safety-number <name | phone number | ACI>.",
    needs: "user",
    async run({ sender, args, reply }) {
      const query = args.join(" ");
      if (query === "") {
        await reply("Whose safety number? Send safety-number followed by a name, phone number or ACI.");
        return;
      }
      const login = await requireLogin(logins, sender, reply);
      if (!login) return;
      const storage = await store.signalStorage(sender);
      const lookup = await lookUpContact(storage, login.client.account.aci, query);
      if (lookup.kind !== "found") {
        await reply(lookupProblem(query, lookup));
        return;
      }
      const digits = await safetyNumber({ storage, contactAci: lookup.aci, chat: login.client.chat });
      const formatted = formatSafetyNumber(digits);
      const name = bestName(await names.namesOf(login, lookup.aci));
      await reply(
        [
          `Safety number with ${name}:`,
          formatted,
          "If it matches what Signal on their phone shows for you (in the chat settings: View safety number), nobody is in between.",
        ].join("\n"),
        `<p>Safety number with ${escapeHtml(name)}:</p><pre><code>${formatted}</code></pre>` +
          "<p>If it matches what Signal on their phone shows for you (in the chat settings: View safety number), nobody is in between.</p>",
      );
    },
  };
}
