/**
 * The schema gate: compiles the routes' JSON Schemas with Ajv and turns a failure into the
 * contract's error object, with the codes the hand-written checks give for the same input.
 *
 * Ajv runs as a pure check: no type coercion, no defaults, no removal of unknown properties,
 * so the handler sees exactly the request that was sent, and the handler's own checks (which
 * carry contract-specific codes) still run after the schema has passed.
 *
 * Two annotations of our own (both are OpenAPI `x-` extensions, so they stay in the document):
 * - `x-batch: true` on an array of items that are validated one by one by the pipeline (a bad
 *   event is rejected in `results`, never the whole batch). The envelope is checked (a list,
 *   1 to the batch limit long); its `items` are documentation only and are not compiled.
 * - `x-error-code` on a property: the contract's code when that property fails (default
 *   `validation_failed` in a body, `invalid_query` in a query string).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { ERRORS, HttpError, type ErrorCode } from "../../domain/errors.js";

export type SchemaObject = Record<string, unknown>;

/** A pattern for strings that must not hold U+0000 (no PostgreSQL text can). */
export const NO_NUL = "^[^\\u0000]*$";

type HttpPart = "body" | "querystring" | "params" | "headers";

/** What Fastify hands to the error handler when a validator fails. */
export interface ValidationFailure {
  validation: ErrorObject[];
  validationContext: HttpPart;
}

export function isValidationFailure(err: unknown): err is ValidationFailure {
  return (
    typeof err === "object" &&
    err !== null &&
    Array.isArray((err as { validation?: unknown }).validation) &&
    typeof (err as { validationContext?: unknown }).validationContext === "string"
  );
}

/** A deep copy with the items of every `x-batch` array left out (they are checked per item). */
function gateCopy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(gateCopy);
  if (schema === null || typeof schema !== "object") return schema;
  const src = schema as SchemaObject;
  const out: SchemaObject = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === "items" && src["x-batch"] === true) continue;
    // `examples` are documentation; Ajv would keep them in memory for nothing.
    out[k] = k === "examples" ? v : gateCopy(v);
  }
  return out;
}

export interface SchemaValidator {
  compile(schema: SchemaObject): ValidateFunction;
}

/** One Ajv instance for the app, knowing the shared schemas (`$ref: "Event#"` and such). */
export function createSchemaValidator(shared: readonly SchemaObject[]): SchemaValidator {
  const ajv = new Ajv({
    allErrors: false,
    verbose: true, // errors carry their schema, to find `x-batch` and `x-error-code`
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    // `format` is documentation here (uri, date-time, email): the handlers parse these
    // values themselves, with their own messages.
    validateFormats: false,
    strict: true,
    keywords: ["x-batch", "x-error-code", "example"],
  });
  for (const s of shared) ajv.addSchema(gateCopy(s) as SchemaObject);
  return { compile: (schema) => ajv.compile(gateCopy(schema) as SchemaObject) };
}

function fieldPath(e: ErrorObject): string[] {
  const segs =
    e.instancePath === ""
      ? []
      : e.instancePath
          .slice(1)
          .split("/")
          .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (e.keyword === "required") segs.push((e.params as { missingProperty: string }).missingProperty);
  if (e.keyword === "additionalProperties")
    segs.push((e.params as { additionalProperty: string }).additionalProperty);
  // The handlers name a list, not its n-th item (`allowed_origins`, `events`).
  const item = segs.findIndex((s) => /^\d+$/.test(s));
  return item === -1 ? segs : segs.slice(0, item);
}

/** The schema holding the keyword that failed. */
function parentOf(e: ErrorObject): Record<string, unknown> {
  return e.parentSchema ?? {};
}

/** The schema of the property that failed (for `required`, the missing property's). */
function propertySchema(e: ErrorObject): SchemaObject {
  const parent = parentOf(e);
  if (e.keyword === "required") {
    const props = (parent.properties ?? {}) as Record<string, SchemaObject>;
    return props[(e.params as { missingProperty: string }).missingProperty] ?? {};
  }
  return parent;
}

function typeWords(t: unknown): string {
  const words: Record<string, string> = {
    string: "a string",
    number: "a number",
    integer: "a whole number",
    boolean: "true or false",
    object: "an object",
    array: "a list",
    null: "null",
  };
  const list = String(t)
    .split(",")
    .map((x) => words[x] ?? x);
  return list.length > 1 ? `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}` : list[0]!;
}

function describe(e: ErrorObject, name: string): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return `${name} is required.`;
    case "type":
      return `${name} must be ${typeWords(p.type)}.`;
    case "minLength":
      return p.limit === 1
        ? `${name} must not be empty.`
        : `${name} is shorter than ${String(p.limit)} characters.`;
    case "maxLength":
      return `${name} is longer than ${String(p.limit)} characters.`;
    case "enum":
      return `${name} must be one of ${((p.allowedValues as unknown[]) ?? [])
        .filter((v) => v !== "")
        .map((v) => JSON.stringify(v))
        .join(", ")}.`;
    case "const":
      return `${name} must be ${JSON.stringify(p.allowedValue)}.`;
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      return `${name} must be ${String(p.comparison)} ${String(p.limit)}.`;
    case "minItems":
      return `${name} must have at least ${String(p.limit)} items.`;
    case "maxItems":
      return `${name} must have at most ${String(p.limit)} items.`;
    case "additionalProperties": {
      const props = parentOf(e).properties as object | undefined;
      return `${name} is not a field here; the fields are ${Object.keys(props ?? {}).join(", ")}.`;
    }
    case "not":
    case "pattern": {
      const hint = parentOf(e).description;
      if (e.keyword === "not") return `${name}: ${typeof hint === "string" ? hint : "not allowed here."}`;
      if (String((e.params as { pattern?: unknown }).pattern) === NO_NUL)
        return `${name} contains a NUL character (U+0000).`;
      return `${name} has an invalid format${typeof hint === "string" ? `: ${hint}` : "."}`;
    }
    default:
      return `${name} ${e.message ?? "is invalid"}.`;
  }
}

/**
 * The contract's error for a failed schema: the same code and status the handler's own checks
 * give for that input, naming the field (`details.field`, dotted for nested ones).
 */
export function schemaError(failure: ValidationFailure): HttpError {
  const e = failure.validation[0];
  if (!e) return new HttpError("invalid_body");
  const segs = fieldPath(e);
  const field = segs.join(".");
  const name = `\`${field}\``;
  const own = propertySchema(e)["x-error-code"];
  const code = typeof own === "string" && own in ERRORS ? (own as ErrorCode) : null;

  if (failure.validationContext === "querystring") {
    const top = segs[0] ?? "";
    if (e.keyword === "type" && Array.isArray(e.data))
      return new HttpError(code ?? "invalid_query", `\`${top}\` is given more than once.`, { field: top });
    return new HttpError(code ?? "invalid_query", describe(e, `\`${top}\``), { field: top });
  }
  if (failure.validationContext !== "body")
    return new HttpError(code ?? "validation_failed", describe(e, name), { field });

  if (segs.length === 0)
    return new HttpError(
      "invalid_body",
      e.data === null
        ? "Send a JSON object body with `Content-Type: application/json`."
        : "The body must be a JSON object.",
    );
  if (propertySchema(e)["x-batch"] === true) {
    if (e.keyword === "minItems") return new HttpError("empty_batch", undefined, { field });
    if (e.keyword === "maxItems") {
      const limit = (e.params as { limit: number }).limit;
      const received = Array.isArray(e.data) ? e.data.length : undefined;
      return new HttpError("batch_too_large", `The batch has ${received} items; the limit is ${limit}.`, {
        limit,
        received,
      });
    }
    return new HttpError(
      "invalid_body",
      e.keyword === "required" ? `The body needs ${name}: a list of events.` : `${name} must be a list.`,
      { field },
    );
  }
  return new HttpError(code ?? "validation_failed", describe(e, name), { field });
}
