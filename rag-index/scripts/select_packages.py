#!/usr/bin/env python3
"""Select the packages the RAG statements are built from, clean their summaries and
write the compact copy shipped in rag-index/data/ (see rag-index/data/README.md).

Usage: python3 rag-index/scripts/select_packages.py --shared /work/shared/data --out rag-index/data
Deterministic: same inputs, same output bytes.
"""
import argparse, collections, csv, gzip, html, io, json, re, sys, unicodedata

csv.field_size_limit(sys.maxsize)
MAX_LEN = 240
# Summaries that carry no information about what the package does.
PLACEHOLDERS = re.compile(
    r"^(my |a |the )?(short |small |simple )?(description|summary)( for| of)?( my| the)?( project| package)?\.?$"
    r"|^(add|put|enter|insert|write) (your|a|the) (short )?(description|summary)"
    r"|^(unknown|none|null|n/?a|todo|tbd|test|testing|placeholder|example|demo|hello world|package|library|module)\.?$"
    r"|^(a |an )?(test|dummy|sample|example|demo|placeholder|empty) (package|project|module|library)\b"
    r"|package (takeover|name squatting)|dependency confusion|security (research|testing) purposes|reserved (name|package)"
    r"|^this (package|module) (is|was) (reserved|deprecated|a placeholder)",
    re.I,
)
# Text addressed to a model rather than describing code: the whole summary is dropped.
PROMPT_LIKE = re.compile(
    r"\b(ignore|disregard|forget) (all |any |the )?(previous|prior|above|earlier) (instructions|prompts?|messages?)"
    r"|\byou are (now )?(an? |the )?(ai|assistant|language model|chatgpt|llm)\b"
    r"|\bsystem prompt\b|<\|im_(start|end)\|>|\[/?INST\]|<</?SYS>>|^\s*(system|assistant|user)\s*:"
    r"|###\s*(instruction|system|response)|\bas an ai\b|\bdo anything now\b|\bjailbreak",
    re.I,
)
ENGLISH = set("""a an the and or of to for in on with from by as is are be it its this that your you can
into using use used based via any all not no simple fast small lightweight easy library package module tool
tools plugin api client server support file files data code python javascript node js react web http json
framework utility utilities utils helper helpers wrapper interface parser generator command line cli test
testing types type definitions component components build builder manager management service services
sdk implementation extension extensions core object objects function functions string strings plugin
""".split())

def clean(text: str) -> str:
    t = html.unescape(text or "")
    t = unicodedata.normalize("NFKC", t)
    t = re.sub(r"<[^>]{0,200}>", " ", t)                      # HTML tags
    t = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", t)               # markdown images / badges
    t = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", t)            # markdown links -> text
    t = re.sub(r"(https?|ftp)://\S+|www\.\S+", " ", t)         # URLs
    t = re.sub(r"\S+@\S+\.\w+", " ", t)                        # e-mail addresses
    t = re.sub(r"[`*_#>|~^{}\\]+", " ", t)                     # markdown / template punctuation
    t = re.sub(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e]", " ", t)
    t = re.sub(r":[a-z0-9_+-]{2,30}:", " ", t)                 # :emoji: shortcodes
    t = re.sub(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]", " ", t)  # emoji
    t = re.sub(r"\s+", " ", t).strip(" -–—:;,.")
    if len(t) > MAX_LEN:
        t = t[:MAX_LEN].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return t

def reject_reason(name: str, summary: str) -> str | None:
    if not summary:
        return "empty"
    words = re.findall(r"[A-Za-z][A-Za-z'+-]*", summary)
    if len(words) < 3:
        return "too_short"
    letters = [c for c in summary if c.isalpha()]
    if sum(c.isascii() for c in letters) < 0.9 * len(letters):
        return "non_english"
    if not any(w.lower() in ENGLISH for w in words):
        return "non_english"
    if PROMPT_LIKE.search(summary):
        return "prompt_like"
    if PLACEHOLDERS.search(summary):
        return "placeholder"
    if summary.lower().replace(" ", "") == name.lower().replace("-", "").replace("_", ""):
        return "name_only"
    return None

def read_tsv(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)

def pypi_norm(name): return re.sub(r"[-_.]+", "-", name).lower()

def select_pypi(shared, target):
    rows = {pypi_norm(r["name"]): r for r in read_tsv(f"{shared}/registry/pypi.tsv.gz")}
    ranked = sorted((r for r in rows.values() if r["rank_among_15000_most_downloaded"]),
                    key=lambda r: int(r["rank_among_15000_most_downloaded"]))
    # Beyond the download ranks: replit/upm's list of popular projects, ordered by how many
    # of its projects depend on each one (reverse dependencies), then by latest release month.
    upm = [json.loads(l) for l in gzip.open(f"{shared}/mappings/upm_pypi_pkgs.jsonl.gz", "rt")]
    rdeps = collections.Counter()
    for p in upm:
        for req in p.get("requires_dist") or []:
            m = re.match(r"[A-Za-z0-9._-]+", req)
            if m: rdeps[pypi_norm(m.group(0))] += 1
    seen = {pypi_norm(r["name"]) for r in ranked}
    extra = [rows[n] for n in {pypi_norm(p["name"]) for p in upm} if n in rows and n not in seen]
    extra.sort(key=lambda r: (-rdeps[pypi_norm(r["name"])], r["month"] and -int(r["month"].replace("-", "")), pypi_norm(r["name"])))
    out = []
    for source, group in (("rank", ranked), ("upm", extra)):
        for r in group:
            out.append({"name": r["name"], "signal": source,
                        "popularity": r["rank_among_15000_most_downloaded"] or str(rdeps[pypi_norm(r["name"])]),
                        "summary": r["summary"]})
    return out

def select_npm(shared):
    rows = list(read_tsv(f"{shared}/registry/npm.tsv.gz"))
    rows.sort(key=lambda r: (-int(r["downloads_a_month"] or 0), r["name"]))
    return [{"name": r["name"], "signal": "downloads", "popularity": r["downloads_a_month"], "summary": r["summary"]} for r in rows]

def finish(cands, target, stats):
    kept, seen_names, seen_summaries = [], set(), set()
    for c in cands:
        key = c["name"].lower()
        if key in seen_names:
            stats["duplicate_name"] += 1; continue
        seen_names.add(key)
        s = clean(c["summary"])
        why = reject_reason(c["name"], s)
        if why:
            stats[why] += 1; continue
        skey = re.sub(r"\W+", " ", s.lower()).strip()
        if skey in seen_summaries:   # templated families: keep the most popular holder
            stats["duplicate_summary"] += 1; continue
        seen_summaries.add(skey)
        kept.append({**c, "summary": s})
        if len(kept) == target: break
    stats["kept"] = len(kept)
    return kept

def write(path, rows):
    buf = io.StringIO()
    buf.write("name\tsignal\tpopularity\tsummary\n")
    for r in rows:
        buf.write(f'{r["name"]}\t{r["signal"]}\t{r["popularity"]}\t{r["summary"]}\n')
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(buf.getvalue().encode())

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pypi", type=int, default=22000)
    ap.add_argument("--npm", type=int, default=24000)
    a = ap.parse_args()
    report = {}
    for eco, cands, n in (("pypi", select_pypi(a.shared, a.pypi), a.pypi), ("npm", select_npm(a.shared), a.npm)):
        stats = collections.Counter()
        kept = finish(cands, n, stats)
        write(f"{a.out}/{eco}.tsv.gz", kept)
        stats["by_signal"] = dict(collections.Counter(r["signal"] for r in kept))
        stats["least_popular_kept"] = kept[-1]["popularity"] if kept else None
        report[eco] = dict(stats)
    json.dump(report, open(f"{a.out}/selection_stats.json", "w"), indent=1, sort_keys=True)
    print(json.dumps(report, indent=1, sort_keys=True))

if __name__ == "__main__":
    main()
