import { describe, expect, it } from "vitest";
import { CsvParser, MAX_RECORD_CHARS, touchFromRow, touchHeader, type CsvItem } from "./csv.js";

/** Parses `text` fed in chunks of `size` characters (0: all at once). */
function parse(text: string, size = 0): CsvItem[] {
  const p = new CsvParser();
  const out: CsvItem[] = [];
  if (size === 0) out.push(...p.push(text));
  else for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)));
  out.push(...p.end());
  return out;
}

const rec = (line: number, ...fields: string[]): CsvItem => ({ line, fields });

describe("CsvParser: good input", () => {
  it.each<[string, string, CsvItem[]]>([
    ["plain fields", "a,b,c\n1,2,3\n", [rec(1, "a", "b", "c"), rec(2, "1", "2", "3")]],
    ["no final line break", "a,b\n1,2", [rec(1, "a", "b"), rec(2, "1", "2")]],
    ["CRLF line ends", "a,b\r\n1,2\r\n", [rec(1, "a", "b"), rec(2, "1", "2")]],
    ["empty fields", "a,,c\n,,\n", [rec(1, "a", "", "c"), rec(2, "", "", "")]],
    ["trailing comma: an empty last field", "a,b,\n", [rec(1, "a", "b", "")]],
    ["quoted comma", 'x,"Search, Brand",y\n', [rec(1, "x", "Search, Brand", "y")]],
    ["escaped quote", '"say ""hi""",2\n', [rec(1, 'say "hi"', "2")]],
    ["empty quoted field", '"",a\n', [rec(1, "", "a")]],
    [
      "quoted line break keeps the next record's line number right",
      'a,"two\nlines"\nb,c\n',
      [rec(1, "a", "two\nlines"), rec(3, "b", "c")],
    ],
    ["quoted CRLF kept inside the field", '"x\r\ny",z\r\n', [rec(1, "x\r\ny", "z")]],
    ["blank lines skipped but counted", "a\n\n\nb\n", [rec(1, "a"), rec(4, "b")]],
    ["quoted field last on a CRLF line", 'a,"b"\r\nc,d\r\n', [rec(1, "a", "b"), rec(2, "c", "d")]],
    ["unicode", "café,日本\n", [rec(1, "café", "日本")]],
  ])("%s", (_name, text, expected) => {
    expect(parse(text)).toEqual(expected);
    // Any split into chunks reads the same records.
    for (const size of [1, 2, 3, 7]) expect(parse(text, size)).toEqual(expected);
  });
});

describe("CsvParser: bad rows are reported with their line and skipped", () => {
  it.each<[string, string, CsvItem[]]>([
    [
      "quote inside an unquoted field",
      'a,b"c\nd,e\n',
      [
        { line: 1, error: expect.stringContaining("quote inside an unquoted field") as unknown as string },
        rec(2, "d", "e"),
      ],
    ],
    [
      "text after a closing quote",
      '"ab"c,d\ne,f\n',
      [
        { line: 1, error: expect.stringContaining("follows a closing quote") as unknown as string },
        rec(2, "e", "f"),
      ],
    ],
    [
      "a quote never closed at the end",
      'a,b\n"open,c\n',
      [rec(1, "a", "b"), { line: 2, error: expect.stringContaining("never closed") as unknown as string }],
    ],
    [
      "a bad row between good ones",
      'h1,h2\n1,2\nx"y,3\n4,5\n',
      [
        rec(1, "h1", "h2"),
        rec(2, "1", "2"),
        { line: 3, error: expect.any(String) as unknown as string },
        rec(4, "4", "5"),
      ],
    ],
  ])("%s", (_name, text, expected) => {
    expect(parse(text)).toEqual(expected);
    for (const size of [1, 4]) expect(parse(text, size)).toEqual(expected);
  });

  it("gives up on a record longer than the limit and resumes on the next line", () => {
    const text = `a,b\n"${"x".repeat(MAX_RECORD_CHARS + 10)}\nc,d\n`;
    const items = parse(text, 4096);
    expect(items[0]).toEqual(rec(1, "a", "b"));
    expect(items[1]).toMatchObject({ line: 2, error: expect.stringContaining("longer than") });
    expect(items[2]).toEqual(rec(3, "c", "d"));
  });
});

describe("touchHeader and touchFromRow", () => {
  it("maps columns by name, case and spaces aside, and ignores the rest", () => {
    const h = touchHeader(["\uFEFFTime", " platform ", "Campaign", "cost", "gclid"]);
    expect(h.columns).toEqual(["time", "platform", "campaign", null, "gclid"]);
    expect(h.ignored).toEqual(["cost"]);
    expect(touchFromRow(h, ["1764426811", "google", "Brand", "0.42", "Cj0abc"])).toEqual({
      touch: { time: "1764426811", platform: "google", campaign: "Brand", gclid: "Cj0abc" },
    });
  });

  it("leaves empty cells out", () => {
    const h = touchHeader(["time", "platform", "campaign", "ad", "email"]);
    expect(touchFromRow(h, ["1", "meta", "c", "", " "])).toEqual({
      touch: { time: "1", platform: "meta", campaign: "c" },
    });
  });

  it.each<[string, string[], RegExp]>([
    ["no time column", ["platform", "campaign"], /no time column/],
    ["no platform or campaign", ["time", "gclid"], /no platform, campaign/],
    ["a column twice", ["time", "platform", "campaign", "Time"], /"time" twice/],
  ])("refuses a header with %s", (_name, fields, message) => {
    expect(() => touchHeader(fields)).toThrow(message);
  });

  it("refuses a row with the wrong number of fields", () => {
    const h = touchHeader(["time", "platform", "campaign"]);
    expect(touchFromRow(h, ["1", "google"])).toEqual({ error: "the row has 2 fields; the header has 3" });
    expect(touchFromRow(h, ["1", "google", "c", "extra"])).toEqual({
      error: "the row has 4 fields; the header has 3",
    });
  });
});
