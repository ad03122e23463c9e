/** The database guard lives with the operations (src/ops/database.ts); handlers that call it directly import it from here. */
export { withDatabase } from "../../src/ops/database.js";
