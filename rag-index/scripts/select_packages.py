#!/usr/bin/env python3
"""Select the packages the RAG statements are built from, clean their summaries, add the
retrieval fields (import names, keywords) and write the compact copy shipped in
rag-index/data/ (see rag-index/data/README.md).

Usage: python3 rag-index/scripts/select_packages.py --shared /work/shared/data --out rag-index/data
Deterministic: same inputs, same output bytes. About 2 minutes on one core.
"""
import argparse, collections, csv, gzip, html, io, json, math, re, sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
from descriptive import descriptive, is_prompt_like  # noqa: E402

csv.field_size_limit(sys.maxsize)
MAX_LEN = 240
# Packages this high in their ecosystem's order keep short or duplicated summaries: the
# strict rules below dropped attrs, celery, colorama and beautifulsoup4 before.
TOP = 5000
PLACEHOLDERS = re.compile(
    r"^(my |a |the )?(short |small |simple )?(description|summary)( for| of)?( my| the)?( project| package)?\.?$"
    r"|^(add|put|enter|insert|write) (your|a|the) (short )?(description|summary)"
    r"|^(unknown|none|null|n/?a|todo|tbd|test|testing|placeholder|example|demo|hello world|package|library|module)\.?$"
    r"|^(a |an )?(test|dummy|sample|example|demo|placeholder|empty|mirror|stub) (package|project|module|library)\b"
    r"|package (takeover|name squatting)|dependency confusion|security (research|testing) purposes|reserved (name|package)"
    r"|^this (package|module) (is|was) (reserved|deprecated|a placeholder)",
    re.I,
)
ENGLISH = set("""a an the and or of to for in on with from by as is are be it its this that your you can
into using use used based via any all not no simple fast small lightweight easy library package module tool
tools plugin api client server support file files data code python javascript node js react web http json
framework utility utilities utils helper helpers wrapper interface parser generator command line cli test
testing types type definitions component components build builder manager management service services
sdk implementation extension extensions core object objects function functions string strings plugin
""".split())
# Words that say nothing about what a package does; never keywords.
GENERIC = ENGLISH | set("""python python3 py javascript js node nodejs npm pypi typescript ts package packages library
libraries module modules wrapper wrappers simple easy fast tiny small minimal lightweight implementation tool tools
toolkit support supports based using use used provides provide providing allows allow set around over without
with within one two new also more most other some your our we it its their them they which that what when where
how who why will can could may might should would does did doing done get gets make makes making built pure thin
drop replacement port fork version versions official unofficial project projects plugin plugins extension
extensions helper helpers utility utilities utils util functions function features feature like just etc via
framework frameworks api apis sdk client clients package's library's written work works working better good
great awesome powerful modern high level low open source free collection various many several all any each
""".split())
TOKEN = re.compile(r"[a-z0-9][a-z0-9+#]*(?:[._-][a-z0-9+#]+)*")


def clean(text: str) -> str:
    t = html.unescape(text or "")
    t = __import__("unicodedata").normalize("NFKC", t)
    t = re.sub(r"<[^>]{0,200}>", " ", t)                      # HTML tags
    t = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", t)               # markdown images / badges
    t = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", t)            # markdown links -> text
    t = re.sub(r"(https?|ftp)://\S+|www\.\S+", " ", t)         # URLs
    t = re.sub(r"\S+@\S+\.\w+", " ", t)                        # e-mail addresses
    t = re.sub(r"[`*_#<>|~^{}\\]+", " ", t)                    # markdown / template punctuation, stray brackets
    t = re.sub(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]", " ", t)
    t = re.sub(r":[a-z0-9_+-]{2,30}:", " ", t)                 # :emoji: shortcodes
    t = re.sub(r"[\U0001F000-\U0001FAFF\u2600-\u27BF]", " ", t)  # emoji
    t = re.sub(r"\s+", " ", t).strip(" -–—:;,.")
    if len(t) > MAX_LEN:
        t = t[:MAX_LEN].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return t


def reject_reason(name: str, summary: str, top: bool) -> str | None:
    if not summary:
        return "empty"
    words = re.findall(r"[A-Za-z][A-Za-z'+-]*", summary)
    if len(words) < (1 if top else 3):
        return "too_short"
    letters = [c for c in summary if c.isalpha()]
    if sum(c.isascii() for c in letters) < 0.9 * len(letters):
        return "non_english"
    if len(words) > 6 and not any(w.lower() in ENGLISH for w in words):
        return "non_english"
    if PLACEHOLDERS.search(summary):
        return "placeholder"
    if summary.lower().replace(" ", "").replace("-", "") == name.lower().replace("-", "").replace("_", "").replace("@", "").replace("/", ""):
        return "name_only"
    return None


def read_tsv(path):
    with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)


def pypi_norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def load_upm(shared):
    return [json.loads(l) for l in gzip.open(f"{shared}/mappings/upm_pypi_pkgs.jsonl.gz", "rt")]


def select_pypi(shared, upm):
    rows = {pypi_norm(r["name"]): r for r in read_tsv(f"{shared}/registry/pypi.tsv.gz")}
    ranked = sorted((r for r in rows.values() if r["rank_among_15000_most_downloaded"]),
                    key=lambda r: int(r["rank_among_15000_most_downloaded"]))
    # Beyond the download ranks: replit/upm's list of popular projects, ordered by how many
    # of its projects depend on each one (reverse dependencies), then by latest release month.
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
    return out, rows


def select_npm(shared):
    rows = list(read_tsv(f"{shared}/registry/npm.tsv.gz"))
    rows.sort(key=lambda r: (-int(r["downloads_a_month"] or 0), r["name"]))
    cands = [{"name": r["name"], "signal": "downloads", "popularity": r["downloads_a_month"], "summary": r["summary"]} for r in rows]
    return cands, {r["name"].lower(): r for r in rows}


def finish(cands, target, stats):
    kept, seen_names, seen_summaries = [], set(), set()
    for c in cands:
        key = c["name"].lower()
        if key in seen_names:
            stats["duplicate_name"] += 1; continue
        seen_names.add(key)
        top = len(kept) < TOP
        raw = clean(c["summary"])
        if is_prompt_like(c["summary"] or "") or (raw and is_prompt_like(raw)):
            stats["prompt_like"] += 1; continue
        s = descriptive(raw)
        if raw and s != raw:
            stats["directive_sentence_dropped"] += 1
        why = reject_reason(c["name"], s, top)
        if why:
            stats[why] += 1; continue
        skey = re.sub(r"\W+", " ", s.lower()).strip()
        if skey in seen_summaries and not top:   # templated families: keep the most popular holder
            stats["duplicate_summary"] += 1; continue
        seen_summaries.add(skey)
        kept.append({**c, "summary": s})
        if len(kept) == target: break
    stats["kept"] = len(kept)
    return kept


def python_imports(upm, shared):
    """Top-level modules each PyPI project installs (upm), plus pipreqs' import -> distribution map."""
    mods = collections.defaultdict(set)
    for p in upm:
        for m in p.get("modules") or []:
            top = m.split(".")[0]
            if top and not top.startswith("_"):
                mods[pypi_norm(p["name"])].add(top)
    for line in open(f"{shared}/mappings/pipreqs_mapping.txt", encoding="utf-8"):
        if ":" in line:
            imp, dist = line.strip().split(":", 1)
            mods[pypi_norm(dist)].add(imp.split(".")[0])
    return mods


def keyword_index(texts):
    """Word document frequencies and word -> documents postings over all registry summaries."""
    df, post, words = collections.Counter(), collections.defaultdict(list), []
    for i, t in enumerate(texts):
        toks = set(TOKEN.findall(t.lower()))
        parts = {p for w in toks for p in re.split(r"[._-]", w) if p}
        words.append(parts)
        for w in toks | parts: df[w] += 1
        for w in toks: post[w].append(i)
    return df, post, words


def keywords_for(name, own_text, anchor_terms, idx, other_df, dependents=(), limit=30, max_anchors=3000):
    """Words that other packages' summaries use around this one: summaries that mention its name
    or import names, and (PyPI) summaries of packages that depend on it. Anchor text, as web
    search uses link text: 'requests' gets 'http', 'api'; 'eslint' gets 'lint', 'rules'.
    A name that is an ordinary word (frequent in the other ecosystem's summaries too: 'debug',
    'color') is not looked for. Words repeat (up to 3 times) with their share of the anchors."""
    df, post, words, names, n = idx
    other_n = other_df[None]
    anchors = set(dependents)
    for term in anchor_terms:
        if len(term) < 3 or term in GENERIC or other_df[term] > 0.002 * other_n or df[term] > 0.05 * n: continue
        anchors.update(post.get(term, ()))
    counts = collections.Counter()
    chosen = sorted(anchors)
    if len(chosen) > max_anchors:  # deterministic spread over the whole set
        step = len(chosen) / max_anchors
        chosen = [chosen[int(i * step)] for i in range(max_anchors)]
    for i in chosen:
        if names[i] == name: continue
        counts.update(words[i])
    own = set(TOKEN.findall(own_text.lower())) | set(re.split(r"[@/._-]", name.lower())) | set(anchor_terms)
    own |= {p for w in list(own) for p in re.split(r"[._-]", w)}
    scored = [(c * math.log(n / df[w]), c, w) for w, c in counts.items()
              if c >= 2 and len(w) > 2 and w not in GENERIC and w not in own and not w[0].isdigit() and not is_prompt_like(w)]
    scored.sort(key=lambda x: (-x[0], x[2]))
    total = max(1, len(chosen))
    out = []
    for _, c, w in scored[:limit]:
        out.extend([w] * (3 if c >= 0.2 * total else 2 if c >= 0.05 * total else 1))
    return out


def paper_tasks(shared, data_rows, eco):
    """Tasks the paper's LLM wrote for popular packages (*_LLM_AT.json, 'Generate … code that …'),
    matched back to their package as for the old bench set (make_bench_set.py: confident
    IDF-overlap matches, plus packages a prompt names as 'the X library'). The 400 prompts of
    the old labelled set are left out, so that set still measures retrieval on unseen text.
    Document expansion (doc2query): the task words a user would write, for the packages
    whose own summaries are terse ('Python HTTP for Humans')."""
    import make_bench_set as mb
    held_out = {json.loads(l)["prompt"] for l in open(f"{__import__('os').path.dirname(__file__)}/../bench/labelled.jsonl")}
    sel = {r["name"].lower(): r["name"] for r in data_rows}
    if eco == "pypi":
        docs = [(r["package"], r["description"]) for r in map(json.loads, open(f"{shared}/paper/Mitigation_pypi_descriptions.jsonl")) if r.get("description")]
        path = "Python_LLM_AT.json"
    else:
        rows = sorted(((int(r["downloads_a_month"] or 0), r["name"], r["summary"]) for r in read_tsv(f"{shared}/registry/npm.tsv.gz") if r["summary"]), reverse=True)
        docs = [(n, s) for _, n, s in rows[:10000]]
        path = "Javascript_LLM_AT.json"
    best = mb.matcher(docs)
    out = collections.defaultdict(list)
    for p in mb.load_prompts(f"{shared}/paper/{path}"):
        if p in held_out: continue
        task = descriptive(clean(re.sub(r"^Generate \w+ code that\s+", "", p)))
        if not task: continue
        names = set(n.lower() for n in mb.named(p, sel))
        top = best(p)
        if top and top[0][0] >= 1.2 and (len(top) < 2 or top[0][0] >= 1.5 * top[1][0]):
            names.add(docs[top[0][1]][0].lower())
        for n in names:
            if n in sel and len(out[n]) < 3: out[n].append(task)
    return out


def write(path, rows):
    buf = io.StringIO()
    buf.write("name\tsignal\tpopularity\tsummary\timports\tkeywords\ttasks\n")
    for r in rows:
        buf.write(f'{r["name"]}\t{r["signal"]}\t{r["popularity"]}\t{r["summary"]}\t{r["imports"]}\t{r["keywords"]}\t{r["tasks"]}\n')
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(buf.getvalue().encode())


def enrich(eco, kept, registry, upm, shared, other_registry, dependents=True):
    other_df = collections.Counter()
    for r in other_registry.values():
        other_df.update(set(TOKEN.findall(clean(r["summary"] or "").lower())))
    other_df[None] = len(other_registry)
    names = list(registry.keys())
    texts = [clean(registry[k]["summary"] or "") for k in names]
    df, post, words = keyword_index(texts)
    idx = (df, post, words, names, len(names))
    pos = {k: i for i, k in enumerate(names)}
    mods, deps = collections.defaultdict(set), collections.defaultdict(set)
    if eco == "pypi":
        mods = python_imports(upm, shared)
        for p in (upm if dependents else ()):
            me = pos.get(pypi_norm(p["name"]))
            for req in p.get("requires_dist") or []:
                m = re.match(r"[A-Za-z0-9._-]+", req)
                if m and me is not None: deps[pypi_norm(m.group(0))].add(me)
    for r in kept:
        key = pypi_norm(r["name"]) if eco == "pypi" else r["name"].lower()
        imports = sorted(m for m in mods.get(key, ()) if m.lower() != key.replace("-", "_"))[:6]
        bare = key.split("/")[-1]
        terms = {key, bare, *(m.lower() for m in imports)}
        r["imports"] = " ".join(imports)
        r["keywords"] = " ".join(keywords_for(key, r["summary"], sorted(terms), idx, other_df, deps.get(key, ())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pypi", type=int, default=30000)
    ap.add_argument("--npm", type=int, default=45000)
    ap.add_argument("--no-dependents", action="store_true", help="anchor text from summaries that mention a package only, not from its dependents'")
    a = ap.parse_args()
    upm = load_upm(a.shared)
    report = {}
    pypi_cands, pypi_rows = select_pypi(a.shared, upm)
    npm_cands, npm_rows = select_npm(a.shared)
    for eco, cands, rows, other, n in (("pypi", pypi_cands, pypi_rows, npm_rows, a.pypi), ("npm", npm_cands, npm_rows, pypi_rows, a.npm)):
        stats = collections.Counter()
        kept = finish(cands, n, stats)
        enrich(eco, kept, rows, upm, a.shared, other, dependents=not a.no_dependents)
        tasks = paper_tasks(a.shared, kept, eco)
        for r in kept:
            r["tasks"] = " | ".join(tasks.get(r["name"].lower(), []))
        stats["with_tasks"] = sum(1 for r in kept if r["tasks"])
        write(f"{a.out}/{eco}.tsv.gz", kept)
        stats["by_signal"] = dict(collections.Counter(r["signal"] for r in kept))
        stats["least_popular_kept"] = kept[-1]["popularity"] if kept else None
        stats["with_imports"] = sum(1 for r in kept if r["imports"])
        stats["with_keywords"] = sum(1 for r in kept if r["keywords"])
        report[eco] = dict(stats)
        print(eco, dict(stats), file=sys.stderr)
    json.dump(report, open(f"{a.out}/selection_stats.json", "w"), indent=1, sort_keys=True)
    print(json.dumps(report, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
