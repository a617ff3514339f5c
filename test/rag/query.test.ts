import { describe, expect, it } from "vitest";
import { ecosystemOf, normaliseQuery, taskQuery } from "../../src/rag/query.js";

describe("normaliseQuery", () => {
  it.each([
    ["Generate Python code that connects to a PostgreSQL database and runs a query", "connects to a PostgreSQL database and runs a query"],
    ["Generate JavaScript code that styles terminal strings", "styles terminal strings"],
    ["Which Python packages would be useful in solving the following coding problem: I need a library for openCensus SQLAlchemy Integration.", "openCensus SQLAlchemy Integration"],
    ["Which npm packages would be useful in solving the following coding problem: Parse YAML files.", "Parse YAML files"],
    ["How do I upload a file with a multipart POST request in Python?", "upload a file with a multipart POST request"],
    ["Write a Python function that downloads a large file in chunks", "downloads a large file in chunks"],
    ["Python: retry a failing HTTP call with exponential backoff", "retry a failing HTTP call with exponential backoff"],
    ["Can you show me how to parse a TOML file in Node.js?", "parse a TOML file"],
    ["Detect faces in a photo", "Detect faces in a photo"],
    ["I need an HTTP client.", "an HTTP client"],
    ["Now generate JavaScript code that parses YAML", "parses YAML"],
  ])("%s", (input, expected) => {
    expect(normaliseQuery(input)).toBe(expected);
  });

  it("never returns an empty query for a non-empty prompt", () => {
    expect(normaliseQuery("Generate Python code that")).toBe("Generate Python code that");
  });

  it("caps the length", () => {
    expect(normaliseQuery("parse yaml ".repeat(1000)).length).toBeLessThanOrEqual(2000);
  });
});

describe("taskQuery", () => {
  it("reads the last user turn only, not the system prompt or earlier turns", () => {
    const q = taskQuery([
      { role: "system", content: "You are a coding assistant that recommends Python packages for databases." },
      { role: "user", content: "Generate Python code that plots a histogram" },
      { role: "assistant", content: "pip install matplotlib" },
      { role: "user", content: "Generate Python code that reads a YAML file" },
    ]);
    expect(q).toBe("reads a YAML file");
  });

  it("reads text parts of multi-part content and ignores images", () => {
    const q = taskQuery([{ role: "user", content: [{ type: "text", text: "How do I parse TOML?" }, { type: "image_url", image_url: { url: "x" } }] }]);
    expect(q).toBe("parse TOML");
  });

  it("is empty without a user turn", () => {
    expect(taskQuery([{ role: "system", content: "hi" }])).toBe("");
  });
});

describe("ecosystemOf", () => {
  const sys = (content: string) => ({ role: "system", content });
  const user = (content: string) => ({ role: "user", content });

  it("takes the language the last user turn asks for", () => {
    expect(ecosystemOf([user("Generate JavaScript code that parses YAML")])).toBe("npm");
    expect(ecosystemOf([user("Generate Python code that parses YAML")])).toBe("pypi");
    expect(ecosystemOf([user("Which npm packages would be useful in solving the following coding problem: x")])).toBe("npm");
  });

  it("prefers the user turn over the system prompt, and falls back to the system prompt", () => {
    expect(ecosystemOf([sys("You write Python."), user("Now write it in Node.js")])).toBe("npm");
    expect(ecosystemOf([sys("You recommend npm packages."), user("Parse YAML files")])).toBe("npm");
  });

  it("an explicit ecosystem wins; the fallback applies only when nothing says", () => {
    expect(ecosystemOf([user("Generate Python code that x")], { explicit: "npm" })).toBe("npm");
    expect(ecosystemOf([user("Parse YAML files")], { fallback: "npm" })).toBe("npm");
    expect(ecosystemOf([user("Parse YAML files")])).toBeUndefined();
    expect(ecosystemOf([user("Port this Python script to JavaScript")])).toBeUndefined();
  });

  it("does not read 'browser' or 'JSON' as JavaScript", () => {
    expect(ecosystemOf([user("Automate a browser and save the JSON")])).toBeUndefined();
  });
});
