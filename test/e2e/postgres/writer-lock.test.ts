/** ../writer-lock.test.ts again, with the bridges' state in PostgreSQL (see test/support/bridge-database.ts). */
import { runOnPostgres } from "../../support/bridge-database.js";

await runOnPostgres(() => import("../writer-lock.test.js"));
