// The production constants are pinned (an accidental edit fails here, a deliberate one updates the
// pin), and Signal's own CA is trusted next to the public roots through the code path production uses.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test, type TestContext } from "node:test";
import { rootCertificates } from "node:tls";
import { PublicKey } from "@signalapp/libsignal-client";
import {
  GenericServerPublicParams,
  ServerPublicParams,
} from "@signalapp/libsignal-client/dist/zkgroup/index.js";
import type { ProductionEnvironment } from "../../../src/signal/environment.js";
import { PRODUCTION_ENVIRONMENT, SIGNAL_ROOT_CA_PEM } from "../../../src/signal/production-environment.js";
import { httpsRequestOk, trustedCaCertificates } from "../../../src/signal/service-https.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test("Signal's root CA is the self-signed Signal Messenger certificate, pinned by its fingerprint", () => {
  const ca = new X509Certificate(SIGNAL_ROOT_CA_PEM);
  assert.equal(
    ca.fingerprint256,
    "DD:B0:F9:2B:B9:5C:8D:6F:D2:02:EA:6E:8C:C5:CC:D1:82:B5:44:F8:CD:69:6F:47:D5:80:65:9D:DC:9D:F6:5A",
  );
  assert.match(ca.subject, /^O=Signal Messenger\\, LLC$/m);
  assert.match(ca.subject, /^CN=Signal Messenger$/m);
  assert.equal(ca.issuer, ca.subject, "a root issues its own certificate");
  assert.ok(ca.verify(ca.publicKey), "the self-signature holds (no byte of the PEM was altered)");
  assert.ok(ca.ca, "it is a CA certificate");
  assert.equal(new Date(ca.validTo).toISOString(), "2032-01-24T00:45:50.000Z");
});

test("the production parameters and trust roots are the published ones", () => {
  const env = PRODUCTION_ENVIRONMENT;
  assert.deepEqual(env.serverTrustRoots.map(sha256), [
    "da2591e4d0088733dbb717512c492ac61a2bf78d286b994f1f85fa293e6720c2",
    "769166861169094c17279ea9bf4c76232d0709c9f18dde5b6f62b72982f9efff",
  ]);
  assert.equal(
    sha256(env.serverPublicParams),
    "01674c91fde9a61a8b17074d0fe68aa33343ff673492327817e8d985e20bcb26",
  );
  assert.equal(
    sha256(env.genericServerPublicParams),
    "e6af33877faede75d2fb7a890a062b780a62691bba1dd7ca371ea2e67fccee39",
  );
  assert.equal(
    sha256(env.backupServerPublicParams),
    "025db28ceecd2d4e7c0dc095b5706dbe033918a535dc5a826455b343a1986fe5",
  );
  // Pinned values must also be usable: libsignal accepts each.
  for (const root of env.serverTrustRoots) PublicKey.deserialize(Buffer.from(root, "base64"));
  new ServerPublicParams(Buffer.from(env.serverPublicParams, "base64"));
  new GenericServerPublicParams(Buffer.from(env.genericServerPublicParams, "base64"));
  new GenericServerPublicParams(Buffer.from(env.backupServerPublicParams, "base64"));

  assert.equal(env.storageUrl, "https://storage.signal.org");
  assert.equal(env.groupsUrl, "https://storage.signal.org");
  assert.deepEqual(env.cdnUrls, {
    0: "https://cdn.signal.org",
    2: "https://cdn2.signal.org",
    3: "https://cdn3.signal.org",
  });
  assert.deepEqual(env.extraCaCertificatesPem, [SIGNAL_ROOT_CA_PEM]);
});

/** Sets NODE_EXTRA_CA_CERTS (unsets it for undefined) until the test ends. */
function withExtraCaFile(t: TestContext, file: string | undefined): void {
  const before = process.env["NODE_EXTRA_CA_CERTS"];
  t.after(() => {
    if (before === undefined) delete process.env["NODE_EXTRA_CA_CERTS"];
    else process.env["NODE_EXTRA_CA_CERTS"] = before;
  });
  if (file === undefined) delete process.env["NODE_EXTRA_CA_CERTS"];
  else process.env["NODE_EXTRA_CA_CERTS"] = file;
}

test("production HTTPS trusts Node's public roots and Signal's root; a local test server only its CA", (t) => {
  withExtraCaFile(t, undefined);
  const trusted = trustedCaCertificates(PRODUCTION_ENVIRONMENT);
  for (const root of rootCertificates) assert.ok(trusted.includes(root), "every public root stays trusted");
  assert.ok(trusted.includes(SIGNAL_ROOT_CA_PEM));
  assert.equal(trusted.length, rootCertificates.length + 1);
});

/** A CA and a server certificate for 127.0.0.1 it signed, made by the openssl command. */
interface TestChain {
  rootPem: string;
  serverKeyPem: string;
  serverCertPem: string;
}

let workDir: string;

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { cwd: workDir, stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    throw new Error(`this test makes its certificates with the openssl command, which failed`, {
      cause: error,
    });
  }
}

function makeChain(name: string, rootSubject: string): TestChain {
  const file = (suffix: string) => `${name}-${suffix}`;
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  // prettier-ignore
  openssl([
    "req", "-x509", ...ec, "-keyout", file("root.key"), "-out", file("root.pem"), "-days", "2",
    "-subj", rootSubject,
    "-addext", "basicConstraints=critical,CA:TRUE",
    "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  // prettier-ignore
  openssl([
    "req", "-new", ...ec, "-keyout", file("server.key"), "-out", file("server.csr"),
    "-subj", "/CN=127.0.0.1",
  ]);
  writeFileSync(
    join(workDir, file("server.ext")),
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  // prettier-ignore
  openssl([
    "x509", "-req", "-in", file("server.csr"), "-CA", file("root.pem"), "-CAkey", file("root.key"),
    "-CAcreateserial", "-days", "1", "-extfile", file("server.ext"), "-out", file("server.pem"),
  ]);
  const read = (suffix: string) => readFileSync(join(workDir, file(suffix)), "utf8");
  return { rootPem: read("root.pem"), serverKeyPem: read("server.key"), serverCertPem: read("server.pem") };
}

async function serve(chain: TestChain): Promise<{ server: Server; url: string }> {
  const server = createServer({ key: chain.serverKeyPem, cert: chain.serverCertPem }, (_req, res) => {
    res.end("manifest");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}/v1/storage/manifest` };
}

let signalLike: { server: Server; url: string };
let stranger: { server: Server; url: string };
let testSignalRoot: string;

before(async () => {
  workDir = mkdtempSync(join(tmpdir(), "signal-ca-test-"));
  const signalChain = makeChain("signal", "/O=Test Signal Messenger/CN=Test Signal root");
  testSignalRoot = signalChain.rootPem;
  signalLike = await serve(signalChain);
  stranger = await serve(makeChain("stranger", "/O=Nobody/CN=Unknown root"));
});

after(() => {
  for (const { server } of [signalLike, stranger]) {
    server?.closeAllConnections();
    server?.close();
  }
  rmSync(workDir, { recursive: true, force: true });
});

/** The production environment, with a test root where Signal's root would be. */
function productionTrusting(extraCaCertificatesPem: string[]): ProductionEnvironment {
  return { ...PRODUCTION_ENVIRONMENT, extraCaCertificatesPem };
}

test("a host whose certificate chains to the Signal root is trusted, on top of the public roots", async () => {
  const response = await httpsRequestOk(productionTrusting([testSignalRoot]), signalLike.url);
  assert.equal(new TextDecoder().decode(response.body), "manifest");
});

test("a host whose certificate chains to an unknown root is refused", async () => {
  await assert.rejects(httpsRequestOk(productionTrusting([testSignalRoot]), stranger.url), (error: Error) => {
    assert.match(String((error as { code?: string }).code), /UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT/);
    return true;
  });
});

test("without the Signal root the same host is refused: the public roots alone do not cover it", async () => {
  await assert.rejects(httpsRequestOk(productionTrusting([]), signalLike.url), /certificate/i);
});

test("production HTTPS keeps trusting the NODE_EXTRA_CA_CERTS file, as Node does by default", (t) => {
  const file = join(workDir, "extra-ca.pem");
  writeFileSync(file, testSignalRoot);
  withExtraCaFile(t, file);
  assert.ok(trustedCaCertificates(PRODUCTION_ENVIRONMENT).includes(testSignalRoot));
  process.env["NODE_EXTRA_CA_CERTS"] = join(workDir, "missing.pem");
  assert.equal(trustedCaCertificates(PRODUCTION_ENVIRONMENT).length, rootCertificates.length + 1);
});
