/**
 * The web login page: one self-contained HTML document (no external assets, no build step). Its
 * script trades the link's token for a page session, then asks the bridge for news in a loop
 * (each request held until something changed) and shows the QR code, then the result.
 */

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         background: #eef1f5; color: #1b1d21; }
  main { background: #fff; border-radius: 16px; box-shadow: 0 2px 16px rgba(0, 0, 0, 0.08);
         padding: 32px 40px; width: min(440px, calc(100vw - 32px)); box-sizing: border-box; text-align: center; }
  h1 { font-size: 1.4rem; margin: 0 0 8px; }
  p { line-height: 1.5; margin: 8px 0; }
  ol { text-align: left; line-height: 1.6; padding-left: 1.4em; margin: 12px 0; }
  #qr { display: block; margin: 16px auto; width: 280px; height: 280px; image-rendering: pixelated;
        border: 1px solid #d8dce3; border-radius: 8px; }
  #qr[hidden], ol[hidden] { display: none; }
  #status { font-weight: 600; }
  #status.ok { color: #1a7f37; }
  #status.problem { color: #b42318; }
  .hint { color: #5b6270; font-size: 0.9rem; }
`;

const SCRIPT = `
(() => {
  const SESSION_KEY = "signal-bridge-login-session";
  const qr = document.getElementById("qr");
  const steps = document.getElementById("steps");
  const status = document.getElementById("status");
  const hint = document.getElementById("hint");
  const api = (path) => new URL(path, location.href).toString();
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function say(text, kind, hintText) {
    status.textContent = text;
    status.className = kind || "";
    hint.textContent = hintText || "";
  }
  function end(text, kind, hintText) {
    qr.hidden = true;
    steps.hidden = true;
    qr.removeAttribute("src");
    document.body.dataset.state = kind === "ok" ? "linked" : "ended";
    say(text, kind, hintText);
  }
  const again = "Send login to the Signal bridge bot in Matrix to start again.";

  async function openSession() {
    const token = location.hash.slice(1);
    if (token) {
      // The token works once; keep it out of the address bar and the history.
      history.replaceState(null, "", location.pathname + location.search);
      const answer = await fetch(api("login/session"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token }),
      });
      if (answer.ok) {
        const { session } = await answer.json();
        sessionStorage.setItem(SESSION_KEY, session);
        return session;
      }
    }
    return sessionStorage.getItem(SESSION_KEY);
  }

  function render(view) {
    document.body.dataset.version = String(view.version);
    switch (view.state) {
      case "starting":
        say("Preparing your login code…");
        return false;
      case "qr":
        qr.src = view.qr;
        qr.hidden = false;
        steps.hidden = false;
        document.body.dataset.state = "qr";
        say("Scan this code with Signal on your phone.", "", "The code changes by itself when it expires.");
        return false;
      case "linked":
        end("Logged in as " + view.account + ".", "ok", "Your Signal chats will appear in Matrix as rooms. You can close this page.");
        return true;
      case "cancelled":
        end("This login was cancelled.", "problem", again);
        return true;
      default:
        end("The login failed: " + view.message, "problem", again);
        return true;
    }
  }

  async function main() {
    let session;
    try {
      session = await openSession();
    } catch {
      end("The bridge cannot be reached.", "problem", "Reload this page to try again.");
      return;
    }
    if (!session) {
      end("This login link is no longer valid.", "problem", "A link works once, within 10 minutes. " + again);
      return;
    }
    let since = -1;
    for (;;) {
      let answer;
      try {
        answer = await fetch(api("login/state?since=" + since), {
          headers: { authorization: "Bearer " + session },
          cache: "no-store",
        });
      } catch {
        say("Lost contact with the bridge; trying again…", "problem");
        await sleep(2000);
        continue;
      }
      if (answer.status === 401) {
        sessionStorage.removeItem(SESSION_KEY);
        end("This login page has expired.", "problem", again);
        return;
      }
      if (!answer.ok) {
        say("The bridge answered " + answer.status + "; trying again…", "problem");
        await sleep(2000);
        continue;
      }
      const view = await answer.json();
      since = view.version;
      if (render(view)) return;
    }
  }
  main();
})();
`;

/** The page, with `nonce` allowing its own style and script under the page's content policy. */
export function webLoginPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Link Signal to Matrix</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body data-state="loading">
<main>
  <h1>Link your Signal account</h1>
  <p>The Matrix bridge becomes one of your Signal devices, like Signal Desktop.</p>
  <img id="qr" alt="QR code to scan with Signal" hidden>
  <ol id="steps" hidden>
    <li>Open Signal on your phone.</li>
    <li>Go to Settings → Linked devices.</li>
    <li>Tap Link new device and scan this code.</li>
  </ol>
  <p id="status">Loading…</p>
  <p id="hint" class="hint"></p>
  <noscript><p>This page needs JavaScript to show the login code.</p></noscript>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>
`;
}
