import assert from "node:assert/strict";
import { test } from "node:test";
import { AlreadyLoggedInError, type LinkSession } from "../../../../src/bridge/link-sessions.js";
import { ProvisioningError } from "../../../../src/bridge/ops/provisioning-auth.js";
import {
  COMPLETE_STEP_ID,
  PROCESS_LIFETIME_MS,
  ProvisioningLogins,
  QR_STEP_ID,
} from "../../../../src/bridge/ops/provisioning-logins.js";
import { type LinkedAccount, LinkingCancelledError } from "../../../../src/signal/index.js";
import { FakeClock, recordingLogger, settle } from "../fake-clock.js";

const alice = "@alice:example.org";
const account: LinkedAccount = {
  aci: "0b7e4b8c-8f0e-4f40-9d36-0d0ad4b1c7a1",
  pni: "p",
  number: "+15550001",
  deviceId: 2,
};

/** A linking the test drives: new URLs, then linked or failed. */
class FakeLinking implements LinkSession {
  url: string | undefined;
  cancelled = false;
  readonly linked: Promise<LinkedAccount>;
  readonly chats: Promise<string | null>;
  private readonly listeners = new Set<(url: string) => void>();
  resolve!: (account: LinkedAccount) => void;
  reject!: (error: Error) => void;

  constructor(readonly userId: string) {
    this.linked = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.linked.catch(() => undefined);
    this.chats = Promise.resolve(null);
  }

  showUrl(url: string): void {
    this.url = url;
    for (const listener of this.listeners) listener(url);
  }

  onUrl(listener: (url: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  cancel(): void {
    this.cancelled = true;
    this.reject(new LinkingCancelledError());
  }
}

function setting(loggedIn = false) {
  const sessions = new Map<string, FakeLinking>();
  const reported: string[] = [];
  const clock = new FakeClock();
  const processes = new ProvisioningLogins({
    sessions: {
      start(userId) {
        if (loggedIn) throw new AlreadyLoggedInError(account);
        const existing = sessions.get(userId);
        if (existing) return { session: existing, started: false };
        const session = new FakeLinking(userId);
        sessions.set(userId, session);
        setImmediate(() => session.showUrl("sgnl://linkdevice?uuid=first"));
        return { session, started: true };
      },
    },
    qrImage: async (url) => `data:image/png;base64,${Buffer.from(url).toString("base64")}`,
    reportLinking: (session) => void reported.push(session.userId),
    logger: recordingLogger(),
    clock,
  });
  return { sessions, processes, reported, clock };
}

async function refusedWith(promise: Promise<unknown>): Promise<{ status: number; errcode: string }> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ProvisioningError, `expected a ProvisioningError, got ${String(error)}`);
    return { status: error.status, errcode: error.errcode };
  }
  assert.fail("it was not refused");
}

test("start answers mautrix-signal's QR step, with the link URL and an image of it", async () => {
  const { processes, reported } = setting();
  const step = await processes.start(alice);
  assert.equal(step.type, "display_and_wait");
  assert.equal(step.step_id, QR_STEP_ID);
  assert.match(step.login_id, /^[\w-]{16}$/);
  assert.ok(step.type === "display_and_wait");
  assert.equal(step.display_and_wait.type, "qr");
  assert.equal(step.display_and_wait.data, "sgnl://linkdevice?uuid=first");
  assert.match(step.display_and_wait.image_url, /^data:image\/png;base64,/);
  assert.deepEqual(reported, [alice], "the linking it started is reported to the user");
});

test("the display_and_wait step answers a refreshed QR code, then the complete step", async () => {
  const { processes, sessions } = setting();
  const { login_id } = await processes.start(alice);
  const session = sessions.get(alice)!;

  const refreshed = processes.wait(alice, login_id, QR_STEP_ID);
  await settle();
  session.showUrl("sgnl://linkdevice?uuid=second");
  const next = await refreshed;
  assert.ok(next.type === "display_and_wait");
  assert.equal(next.display_and_wait.data, "sgnl://linkdevice?uuid=second");

  const completed = processes.wait(alice, login_id, QR_STEP_ID);
  session.resolve(account);
  assert.deepEqual(await completed, {
    type: "complete",
    step_id: COMPLETE_STEP_ID,
    instructions: "Successfully logged in as +15550001",
    complete: { user_login_id: account.aci },
  });
  assert.deepEqual(await refusedWith(processes.wait(alice, login_id, QR_STEP_ID)), {
    status: 404,
    errcode: "M_NOT_FOUND",
  });
});

test("a wait that comes after the news answers it at once", async () => {
  const { processes, sessions } = setting();
  const { login_id } = await processes.start(alice);
  sessions.get(alice)!.resolve(account);
  await settle();
  assert.equal((await processes.wait(alice, login_id, QR_STEP_ID)).type, "complete");
});

test("cancel ends the linking and a waiting step answers that it was cancelled", async () => {
  const { processes, sessions } = setting();
  const { login_id } = await processes.start(alice);
  const waiting = refusedWith(processes.wait(alice, login_id, QR_STEP_ID));
  await settle();
  processes.cancel(alice, login_id);
  assert.deepEqual(await waiting, { status: 400, errcode: "M_BAD_STATE" });
  assert.equal(sessions.get(alice)!.cancelled, true);
});

test("unknown processes, other users' processes and wrong step IDs are refused", async () => {
  const { processes } = setting();
  const { login_id } = await processes.start(alice);
  assert.deepEqual(await refusedWith(processes.wait(alice, "nope", QR_STEP_ID)), {
    status: 404,
    errcode: "M_NOT_FOUND",
  });
  assert.deepEqual(await refusedWith(processes.wait("@bob:example.org", login_id, QR_STEP_ID)), {
    status: 404,
    errcode: "M_NOT_FOUND",
  });
  assert.deepEqual(await refusedWith(processes.wait(alice, login_id, "fi.mau.other")), {
    status: 400,
    errcode: "M_BAD_STATE",
  });
  assert.throws(() => processes.cancel("@bob:example.org", login_id), ProvisioningError);
});

test("a failed linking answers M_UNKNOWN with why", async () => {
  const { processes, sessions } = setting();
  const { login_id } = await processes.start(alice);
  sessions.get(alice)!.reject(new Error("the phone sent nonsense"));
  await assert.rejects(processes.wait(alice, login_id, QR_STEP_ID), (error: ProvisioningError) => {
    assert.equal(error.status, 500);
    assert.equal(error.errcode, "M_UNKNOWN");
    assert.match(error.message, /the phone sent nonsense/);
    return true;
  });
});

test("a second start joins the linking in progress instead of failing", async () => {
  const { processes, reported } = setting();
  const first = await processes.start(alice);
  const second = await processes.start(alice);
  assert.notEqual(first.login_id, second.login_id);
  assert.ok(second.type === "display_and_wait");
  assert.equal(second.display_and_wait.data, "sgnl://linkdevice?uuid=first");
  assert.deepEqual(reported, [alice], "reported once, by the process that started it");
});

test("a user with a login is told to log out first", async () => {
  const { processes } = setting(true);
  assert.deepEqual(await refusedWith(processes.start(alice)), {
    status: 400,
    errcode: "FI.MAU.BRIDGE.TOO_MANY_LOGINS",
  });
});

test("a process nobody finishes ends after 15 minutes, cancelling the linking it started", async () => {
  const { processes, sessions, clock } = setting();
  const { login_id } = await processes.start(alice);
  await clock.advance(PROCESS_LIFETIME_MS);
  assert.equal(sessions.get(alice)!.cancelled, true);
  assert.deepEqual(await refusedWith(processes.wait(alice, login_id, QR_STEP_ID)), {
    status: 404,
    errcode: "M_NOT_FOUND",
  });
});
