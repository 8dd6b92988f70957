/** ../history.test.ts again, with the bridge's state in PostgreSQL (see test/support/bridge-database.ts). */
import { runOnPostgres } from "../../support/bridge-database.js";

await runOnPostgres(() => import("../history.test.js"));
