/** The tag to paste into a site, with this server's origin and the workspace's public key. */
import { CopyButton } from "./copy-button.js";

export function tagSnippet(origin: string, publicKey: string): string {
  return [
    `<script async src="${origin}/t/tally.js" data-key="${publicKey}"></script>`,
    "<script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>",
  ].join("\n");
}

export function CodeBlock({ code, label, lang }: { code: string; label: string; lang: string }) {
  return (
    <div class="code-block">
      <div class="code-bar">
        <span>{lang}</span>
        <CopyButton text={code} label={`Copy ${label.toLowerCase()}`} />
      </div>
      <pre aria-label={label}>
        <code>{code}</code>
      </pre>
    </div>
  );
}

export function TagSnippet({ publicKey }: { publicKey: string }) {
  return <CodeBlock code={tagSnippet(location.origin, publicKey)} label="Tracking snippet" lang="HTML" />;
}
