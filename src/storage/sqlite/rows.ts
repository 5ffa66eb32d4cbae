/** Row ↔ domain mapping of the SQLite store (the mappers both backends share live in storage/). */
export { rowToWorkspace, type WorkspaceRow } from "../workspace-row.js";
