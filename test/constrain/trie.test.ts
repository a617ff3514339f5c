/**
 * The token trie: which vocabulary tokens may come next. Checked two ways: on a small
 * vocabulary written for the cases (multi-token names, shared prefixes, a name that ends
 * where a longer one goes on, tokens that span a name's end such as "requests\n" or
 * " numpy,"), and on the testbed GGUF's real tokenizer against a brute-force oracle that
 * runs every token through the automaton on its own.
 */
import { getLlama, type LlamaModel, type Token } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matcherSet, ListMatcher, sortedListOf, startAll } from "../../src/mitigation/constrain/matchers.js";
import { acceptsEnd, micro, stepText, type Micro } from "../../src/mitigation/constrain/micro.js";
import { startTracking } from "../../src/mitigation/constrain/request.js";
import { Engine, type Decision } from "../../src/providers/local/constrain/engine.js";
import { tokenSourceOf } from "../../src/providers/local/constrain/index.js";
import { buildVocab, type Vocab } from "../../src/providers/local/constrain/vocab.js";
import { TESTBED_GGUF } from "../helpers/gateway.js";
import { lists, request } from "./helpers.js";

/** Token ids a decision lets through (end tokens included). */
function allowedIds(vocab: Vocab, d: Decision): Set<number> {
  const listed = new Set(d.ids);
  const out = new Set<number>();
  for (let i = 0; i < vocab.size; i++) {
    const id = vocab.order[i]!;
    if (d.kind === "allow" ? listed.has(id) : !listed.has(id)) out.add(id);
  }
  if (d.end) for (const id of vocab.specials) out.add(id);
  return out;
}

/** The oracle: each token through the automaton on its own. */
function bruteForce(vocab: Vocab, m: Micro): Set<number> {
  const out = new Set<number>();
  for (let i = 0; i < vocab.size; i++) {
    const id = vocab.order[i]!;
    if (stepText(m, vocab.texts[id]!) !== null) out.add(id);
  }
  if (acceptsEnd(m)) for (const id of vocab.specials) out.add(id);
  return out;
}

describe("on a vocabulary written for the cases", () => {
  const texts = ["re", "quest", "quests", "request", "requests", "requests\n", "requestsx", " numpy,", " numpy", " num", "num", "py", "pyro", "ro",
    "-", "oauth", "lib", "\n", ",", " ", ", ", "x", "zz", "s", "-oauthlib\n"];
  const EOS = texts.length;
  const vocab = buildVocab({ ids: [...texts.keys(), EOS], text: (id) => texts[id]!, special: (id) => id === EOS });
  const id = (t: string) => texts.indexOf(t);
  const names = matcherSet("case", [{ matcher: new ListMatcher(sortedListOf(["numpy", "numpyro", "request", "requests", "requests-oauthlib"]), "pep503") }]);
  const engine = new Engine(vocab, { memoBytes: 1 << 20 });
  const line = micro({ mode: "list", phase: "line", set: names, cc: "pypi" });
  const at = (prefix: string) => ({ ...line, phase: "line", pos: startAll(names, prefix)! });
  const allowed = (m: Micro) => {
    const got = allowedIds(vocab, engine.decide(m));
    expect(got).toEqual(bruteForce(vocab, m));
    return (t: string) => (t === "<eos>" ? got.has(EOS) : got.has(id(t)));
  };

  it("starts names made of several tokens, and only those", () => {
    const ok = allowed(line);
    for (const t of ["re", "request", "requests", "num", " num", " numpy", "requests\n", " numpy,"]) expect(ok(t), t).toBe(true);
    // `-` alone is a bullet; `-oauthlib` a bullet and then a name that does not exist.
    for (const t of ["quest", "py", "zz", "x", "requestsx", "-oauthlib\n"]) expect(ok(t), t).toBe(false);
    expect(ok("-")).toBe(true);
    const afterRe = allowed(at("re"));
    expect([afterRe("quest"), afterRe("quests"), afterRe("py"), afterRe("\n"), afterRe("<eos>")]).toEqual([true, true, false, false, false]);
  });

  it("keeps shared prefixes open: request, requests, requests-oauthlib", () => {
    const afterRequest = allowed(at("request"));
    // `request` is a whole name, and `requests…` goes on from it.
    expect([afterRequest("s"), afterRequest("\n"), afterRequest(","), afterRequest("<eos>"), afterRequest("-")]).toEqual([true, true, true, true, false]);
    const afterDash = allowed(at("requests-"));
    expect([afterDash("oauth"), afterDash("\n"), afterDash("<eos>"), afterDash("lib")]).toEqual([true, false, false, false]);
    const afterOauth = allowed(at("requests-oauth"));
    expect([afterOauth("lib"), afterOauth("\n"), afterOauth(", ")]).toEqual([true, false, false]);
  });

  it("lets a name end where a longer name goes on (numpy / numpyro)", () => {
    const afterNumpy = allowed(at("numpy"));
    expect([afterNumpy("ro"), afterNumpy(","), afterNumpy(", "), afterNumpy("\n"), afterNumpy("<eos>"), afterNumpy("x")]).toEqual([true, true, true, true, true, false]);
    const afterNum = allowed(at("num"));
    expect([afterNum("py"), afterNum("pyro"), afterNum("ro")]).toEqual([true, true, false]);
  });

  it("judges tokens that span the name's end by the whole name and what follows it", () => {
    const afterRequest = allowed(at("request"));
    // "s\n"-like continuations: `requests\n` is not one token here, but `-oauthlib\n` is.
    expect(allowed(at("requests"))("-oauthlib\n")).toBe(true);
    expect(afterRequest("-oauthlib\n")).toBe(false);
    // After a comma the next item starts: " numpy," is a whole name plus a separator.
    expect(allowed({ ...line, phase: "arm" })(" numpy,")).toBe(true);
  });
});

describe("on the testbed tokenizer", () => {
  let model: LlamaModel;
  let vocab: Vocab;
  let engine: Engine;
  beforeAll(async () => {
    const llama = await getLlama({ gpu: false, logLevel: "error" as never });
    model = await llama.loadModel({ modelPath: TESTBED_GGUF, vocabOnly: true });
    vocab = buildVocab(tokenSourceOf(model));
    engine = new Engine(vocab, { memoBytes: 16 << 20 });
  });
  afterAll(() => model?.dispose());

  it("reads every token of the model once", () => {
    expect(vocab.size + vocab.specials.length).toBe([...model.iterateAllTokens()].length);
    // End of generation (ChatML <|im_end|>) is a special token, not text.
    expect([...vocab.specials]).toContain(model.tokens.eos);
  });

  it("allows exactly what the brute-force oracle allows, in every kind of state", () => {
    const l = lists();
    const install = micro({ mode: "install", kind: "multi", phase: "arm", set: l.install.pypi, cc: "pypi" });
    const states: Micro[] = [
      install,
      { ...install, phase: "arm0" },
      { ...install, pos: startAll(l.install.pypi, "django-")! },
      { ...install, pos: startAll(l.install.pypi, "numpy")! },
      { ...install, pos: startAll(l.install.pypi, "requests-oauth")! },
      micro({ mode: "list", phase: "line", set: l.list.npm, cc: "npm" }),
      micro({ mode: "jsspec", phase: "armq", set: l.jsImport, cc: "npm" }),
      micro({ mode: "pkgjson", phase: "key", set: l.packageJson, cc: "npm" }),
      micro({ mode: "pyimport", kind: "import", phase: "arm0", set: l.pyImport([]), cc: "ident" }),
      // Inside a JSON string of a tool call: `\n` and `\"` are escapes there.
      micro({ mode: "req", phase: "line", set: l.requirements, cc: "pypi", esc: [0] }),
      { ...micro({ mode: "install", kind: "multi", phase: "arm", set: l.install.npm, cc: "npm", esc: [0] }), pos: startAll(l.install.npm, "@types/")! },
    ];
    for (const m of states) expect(allowedIds(vocab, engine.decide(m))).toEqual(bruteForce(vocab, m));
  });

  it("lets every token of real multi-token names through and stops made-up ones", () => {
    const l = lists();
    const check = (line: string, eco: "pypi" | "npm") => {
      const set = eco === "pypi" ? l.install.pypi : l.install.npm;
      let m: Micro = micro({ mode: "install", kind: "multi", phase: "arm0", set, cc: eco });
      for (const t of model.tokenize(line) as Token[]) {
        if (!allowedIds(vocab, engine.decide(m)).has(t)) return false;
        const next = stepText(m, vocab.texts[t]!);
        if (next === null) return false;
        if (next === "free") return true;
        m = next;
      }
      return true;
    };
    for (const name of ["django-dbbackup", "requests-oauthlib", "python-dateutil", "sphinx-reredirects", "yamllint"]) {
      expect(model.tokenize(` ${name}`).length, name).toBeGreaterThan(1);
      expect(check(` ${name}\n`, "pypi"), name).toBe(true);
    }
    for (const name of ["@testing-library/dom", "@babel/plugin-transform-runtime", "string-width"]) expect(check(` ${name}\n`, "npm"), name).toBe(true);
    for (const name of ["django-data-backup", "python-yaml", "reqeusts"]) expect(check(` ${name}\n`, "pypi"), name).toBe(false);
    expect(check(" @webc/agent-base\n", "npm")).toBe(false);
  });

  it("lets an answer with real names, the standard library and the answer's own modules through, token by token", () => {
    const answer = [
      "Save the helper as `mytoolz.py`, then:",
      "```bash",
      "pip install requests python-dateutil==2.9 'pyyaml>=6' -r requirements.txt",
      "```",
      "```python",
      "import os, sys, json",
      "from collections import OrderedDict",
      "import requests",
      "import yaml",
      "import cv2",
      "from dateutil import parser",
      "import mytoolz",
      "```",
      "```javascript",
      // `node:fs` is a builtin specifier: not followed as a name.
      "const fs = require('node:fs');",
      "import path from 'path';",
      "import express from 'express';",
      "```",
    ].join("\n");
    const tr = startTracking(lists(), request());
    let checked = 0;
    for (const t of model.tokenize(answer) as Token[]) {
      const m = tr.current();
      if (m) {
        checked++;
        expect(stepText(m, vocab.texts[t]!), JSON.stringify(vocab.texts[t])).not.toBeNull();
        expect(allowedIds(vocab, engine.decide(m)).has(t)).toBe(true);
      }
      tr.feed(vocab.texts[t]!);
    }
    expect(checked).toBeGreaterThan(20);
    expect(tr.stats.names).toEqual(["requests", "python-dateutil", "pyyaml", "os", "sys", "json", "collections", "requests", "yaml", "cv2", "dateutil", "mytoolz", "path", "express"]);
  });
});
