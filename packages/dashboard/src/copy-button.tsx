/** Copies text to the clipboard and says so. */
import { useState } from "preact/hooks";

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone(true);
      window.setTimeout(() => setDone(false), 1500);
    } catch {
      setDone(false);
    }
  };
  return (
    <button type="button" class="btn btn-small" onClick={() => void copy()} aria-label={label}>
      {done ? "Copied" : "Copy"}
    </button>
  );
}
