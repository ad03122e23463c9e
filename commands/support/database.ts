/** The database guard of use cases, for the handlers that still open the database themselves. */
export { withDatabase } from "../../src/ops/database.js";
