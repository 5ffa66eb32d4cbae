/**
 * The dashboard's HTTP client: the session cookie rides along (same origin), every
 * state-changing call carries the CSRF token, and workspace calls name their workspace in
 * `X-Tally-Workspace`. Errors arrive as `ApiError` with the contract's code and message.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; details?: { field?: string } };
}

export class Api {
  private csrf: string | null = null;
  /** Called when the session is gone (expired, logged out elsewhere). */
  onSignedOut: () => void = () => {};

  /** Whether a session is open; picks up its CSRF token. */
  async resume(): Promise<boolean> {
    const res = await fetch("/v1/session", { headers: { accept: "application/json" } });
    if (!res.ok) return false;
    this.csrf = ((await res.json()) as { csrf_token: string }).csrf_token;
    return true;
  }

  async login(token: string): Promise<void> {
    const body = await this.call<{ csrf_token: string }>("POST", "/v1/session", { token }, undefined, false);
    this.csrf = body.csrf_token;
  }

  async logout(): Promise<void> {
    try {
      await this.call("DELETE", "/v1/session");
    } finally {
      this.csrf = null;
    }
  }

  get<T>(path: string, workspace?: string): Promise<T> {
    return this.call<T>("GET", path, undefined, workspace);
  }

  send<T>(
    method: "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    body?: unknown,
    workspace?: string,
  ): Promise<T> {
    return this.call<T>(method, path, body, workspace);
  }

  private async call<T>(
    method: string,
    path: string,
    body?: unknown,
    workspace?: string,
    signOutOn401 = true,
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (method !== "GET" && this.csrf) headers["x-csrf-token"] = this.csrf;
    if (workspace) headers["x-tally-workspace"] = workspace;
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!res.ok) {
      const e = (json as ErrorBody | null)?.error;
      if (res.status === 401 && signOutOn401) this.onSignedOut();
      throw new ApiError(
        res.status,
        e?.code ?? "http_error",
        e?.message ?? `The server answered ${res.status}.`,
        e?.details?.field,
      );
    }
    return json as T;
  }
}

export const api = new Api();
