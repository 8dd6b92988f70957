import type { BotCommand } from "../bot-commands.js";
import { type CommandDeps, requireLogin } from "./command-deps.js";

/** `submit-challenge <captcha link>`: answers Signal's rate-limit challenge so held messages go out. */
export function submitChallengeCommand(deps: CommandDeps): BotCommand {
  return {
    name: "submit-challenge",
    summary: "Answer Signal's rate-limit challenge with a solved captcha (signalcaptcha://...).",
    needs: "user",
    async run({ sender, args, reply }) {
      const login = await requireLogin(deps.logins, sender, reply);
      if (!login) return;
      const pasted = args.join("");
      if (!pasted) {
        await reply("Usage: submit-challenge <the signalcaptcha:// link from the captcha page>");
        return;
      }
      await reply(await deps.challenges.submit(login, pasted));
    },
  };
}
