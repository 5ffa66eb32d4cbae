/** Dashboard login: the admin token for a session cookie and a CSRF token. */
import type { FastifySchema } from "fastify";
import { ADMIN, AUTH_ERRORS, BODY_ERRORS, ISO_OUT, OPEN, errorResponses, responses } from "./common.js";

const SESSION = {
  type: "object",
  properties: {
    csrf_token: { type: "string", description: "Send it as `X-CSRF-Token` on every state-changing call." },
    expires_at: ISO_OUT,
  },
};

export const loginSchema: FastifySchema = {
  summary: "Log in to the dashboard",
  description: "Sets the `tally_session` cookie (HttpOnly, SameSite=Strict).",
  tags: ["session"],
  security: OPEN,
  body: {
    type: "object",
    required: ["token"],
    properties: { token: { type: "string", minLength: 1, description: "The admin token." } },
  },
  response: responses({ 200: { ...SESSION, description: "Logged in." } }, [
    ...BODY_ERRORS,
    "validation_failed",
    "unknown_key",
    "rate_limited",
    "not_ready",
  ]),
};

export const sessionSchema: FastifySchema = {
  summary: "The current dashboard session",
  tags: ["session"],
  security: OPEN,
  response: responses({ 200: { ...SESSION, description: "The session." } }, ["missing_key", "not_ready"]),
};

export const logoutSchema: FastifySchema = {
  summary: "Log out of the dashboard",
  tags: ["session"],
  security: ADMIN,
  response: {
    204: { type: "null", description: "Logged out; the cookie is cleared." },
    ...errorResponses([...AUTH_ERRORS, "not_ready"]),
  },
};
