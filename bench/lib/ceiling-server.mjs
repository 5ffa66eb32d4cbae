// The ceiling of the HTTP benchmarks: node:http that reads the body, parses the JSON and
// answers 204 (or, for GET, the same 43-byte GIF the pixel answers). No validation, no store:
// whatever Tally does beyond this is its own cost.
import { createServer } from "node:http";

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
const port = Number(process.argv[2]);

const server = createServer((req, res) => {
  if (req.method === "GET") {
    res.writeHead(200, {
      "content-type": "image/gif",
      "cache-control": "no-store",
      "content-length": GIF.length,
    });
    res.end(GIF);
    return;
  }
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(204).end();
    } catch {
      res.writeHead(400).end();
    }
  });
});
server.keepAliveTimeout = 72_000;
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
