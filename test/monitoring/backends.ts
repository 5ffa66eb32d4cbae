/** Both stores for the monitoring tests (test/helpers/stores.ts). */
export * from "../helpers/stores.js";
