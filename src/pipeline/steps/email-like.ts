/**
 * Finding emails inside free text (custom_data strings, page URLs) for normalize and the
 * test-events mask, without a regex that can backtrack. The first version,
 * `[^\s@]+@[^\s@]+\.[^\s@]+`, was quadratic on a long string without "@": one 40 KB
 * custom_data string held the event loop for 8 s, a 1 MiB one for hours.
 */

/** "Contains an email": unanchored, so one character either side proves as much as many. */
const EMAIL_LIKE = /[^\s@]@[^\s@]+\.[^\s@]/;

/** Tokens of free text and URLs: a linear scan, every maximal run is a match. */
const TOKEN = /[^\s?&#=/;,<>"'()[\]{}]+/g;

export function looksLikeEmail(v: unknown): v is string {
  return typeof v === "string" && EMAIL_LIKE.test(v);
}

/**
 * Replaces each token of `text` that is (or, percent-decoded, is) an email: the
 * `jane%40shop.example` of a sign-up page's URL as much as a plain one.
 *
 * @example
 * replaceEmails("/thanks?email=jane%40shop.example&x=1", () => "[redacted]"); // "/thanks?email=[redacted]&x=1"
 */
export function replaceEmails(text: string, replacement: (email: string) => string): string {
  if (!text.includes("@") && !/%40/i.test(text)) return text;
  return text.replace(TOKEN, (token) => {
    let decoded = token;
    if (token.includes("%")) {
      try {
        decoded = decodeURIComponent(token);
      } catch {
        // not valid percent-encoding: checked as it is
      }
    }
    return EMAIL_LIKE.test(decoded) ? replacement(decoded) : token;
  });
}
