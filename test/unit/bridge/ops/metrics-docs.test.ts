// The metric names operators rely on: every metric is documented, and the sample Grafana
// dashboard uses only metrics the bridge serves.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PrometheusMetrics } from "../../../../src/bridge/ops/metrics.js";
import { projectRoot } from "../../../support/wait.js";

const served = async (): Promise<Set<string>> => {
  const metrics = new PrometheusMetrics({
    loginStates: async () => [],
    pendingSignalEvents: async () => 0,
    pendingMatrixEvents: async () => 0,
    portals: async () => ({ direct: 0, group: 0 }),
    ghosts: async () => 0,
  });
  const families = await metrics.registry.getMetricsAsJSON();
  return new Set(families.map((family) => family.name));
};

test("docs/metrics.md documents every signal_bridge_ metric", async () => {
  const docs = readFileSync(join(projectRoot, "docs/metrics.md"), "utf8");
  const ours = [...(await served())].filter((name) => name.startsWith("signal_bridge_"));
  assert.ok(ours.length >= 10);
  for (const name of ours) assert.ok(docs.includes(`\`${name}\``), `${name} is not in docs/metrics.md`);
});

test("the Grafana dashboard is valid JSON and queries only metrics the bridge serves", async () => {
  const dashboard = JSON.parse(readFileSync(join(projectRoot, "docs/grafana-dashboard.json"), "utf8")) as {
    panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
  };
  const names = await served();
  const expressions = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
  assert.ok(expressions.length >= 15);
  const used = new Set(
    expressions.flatMap((expr) =>
      [...expr.matchAll(/\b(?:signal_bridge|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]),
    ),
  );
  for (const name of used) {
    const family = name.replace(/_(bucket|sum|count)$/, "");
    assert.ok(
      names.has(name) || names.has(family),
      `the dashboard uses ${name}, which the bridge does not serve`,
    );
  }
  const ours = [...names].filter((name) => name.startsWith("signal_bridge_"));
  for (const name of ours) {
    assert.ok(
      [...used].some((usedName) => usedName.startsWith(name)),
      `the dashboard shows nothing of ${name}`,
    );
  }
});
