#!/usr/bin/env python3
"""Fixture slice for test/rag: the 150 most popular packages of each ecosystem, every
package the labelled bench set answers with, and a few names chosen for the tests.
Usage: python3 rag-index/scripts/make_fixture.py (from the repo root)."""
import gzip, json

PICK = {"pypi": {"pyyaml", "requests", "beautifulsoup4", "flask", "numpy", "pillow", "yaml"},
        "npm": {"yaml", "js-yaml", "express", "chalk", "axios", "lodash", "left-pad", "commander"}}
bench = json.load(open("/dev/stdin")) if False else [json.loads(l) for l in open("rag-index/bench/labelled.jsonl")]
for eco in ("pypi", "npm"):
    want = {a.lower() for r in bench if r["ecosystem"] == eco for a in r["answers"]} | PICK[eco]
    with gzip.open(f"rag-index/data/{eco}.tsv.gz", "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    keep = [lines[0]] + [l for i, l in enumerate(lines[1:]) if i < 150 or l.split("\t", 1)[0].lower() in want]
    with open(f"test/rag/fixtures/data/{eco}.tsv.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as g:
            g.write(("\n".join(keep) + "\n").encode())
    print(eco, len(keep) - 1)
