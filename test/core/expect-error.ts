/**
 * The contract's error object, checked the same way everywhere: the status, the code, a
 * message a person can act on, nothing else at the top level, and never a stack trace.
 */
import { expect } from "vitest";

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
}

const ERROR_KEYS = new Set(["code", "message", "details"]);

export function expectError(res: HttpResult, status: number, code: string): void {
  const body = res.body as { error?: { code?: unknown; message?: unknown } } | null;
  expect({ status: res.status, code: body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(body ?? {})).toEqual(["error"]);
  const error = body!.error as Record<string, unknown>;
  for (const k of Object.keys(error)) expect(ERROR_KEYS.has(k), `unexpected key error.${k}`).toBe(true);
  expect(typeof error.message).toBe("string");
  expect((error.message as string).length).toBeGreaterThan(10);
  // A stack frame looks like "at fn (/path/file.js:12:3)".
  expect(JSON.stringify(body)).not.toMatch(/\bat .*\.(?:ts|js|mjs):\d+/);
  expect(JSON.stringify(body)).not.toMatch(/node_modules|\/src\//);
}
