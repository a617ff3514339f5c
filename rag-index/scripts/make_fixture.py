#!/usr/bin/env python3
"""Fixture slice for test/rag and test/mitigation: the 250 most popular packages of each
ecosystem plus a few chosen for the tests (and their lexical fields, as shipped), with the
side files (authors' tags, Debian descriptions, written tasks) cut to the same packages.
Usage: python3 rag-index/scripts/make_fixture.py (from the repo root)."""
import gzip

PICK = {"pypi": {"pyyaml", "ruamel-yaml", "requests", "httpx", "beautifulsoup4", "flask", "numpy", "pillow", "psycopg2", "psycopg2-binary",
                 "openpyxl", "pandas", "matplotlib", "tiktoken", "yaml-config", "pydantic-yaml", "pydub"},
        "npm": {"yaml", "js-yaml", "express", "chalk", "axios", "lodash", "left-pad", "commander", "pg", "yaml-loader", "swiper", "http-proxy"}}
for eco in ("pypi", "npm"):
    with gzip.open(f"rag-index/data/{eco}.tsv.gz", "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    keep = [lines[0]] + [l for i, l in enumerate(lines[1:]) if i < 250 or l.split("\t", 1)[0].lower() in PICK[eco]]
    with open(f"test/rag/fixtures/data/{eco}.tsv.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as g:
            g.write(("\n".join(keep) + "\n").encode())
    names = {l.split("\t", 1)[0] for l in keep[1:]}
    for side in ("tags", "debian", "uses"):
        try:
            with gzip.open(f"rag-index/data/{eco}-{side}.tsv.gz", "rt", encoding="utf-8") as f:
                rows = f.read().splitlines()
        except FileNotFoundError:
            continue
        cut = [rows[0]] + [l for l in rows[1:] if l.split("\t", 1)[0] in names]
        with open(f"test/rag/fixtures/data/{eco}-{side}.tsv.gz", "wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as g:
                g.write(("\n".join(cut) + "\n").encode())
        print(eco, side, len(cut) - 1)
    print(eco, len(keep) - 1)
