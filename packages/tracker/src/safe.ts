// The tag never throws into the host page: every entry point (the public function, listeners,
// timers, history hooks) is wrapped here.

export const safe =
  <A extends unknown[]>(f: (...args: A) => void) =>
  (...args: A): void => {
    try {
      f(...args);
    } catch {
      // Swallowed on purpose: a broken tag must not break the site.
    }
  };
