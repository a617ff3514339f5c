#!/usr/bin/env python3
"""Word neighbours for query expansion, from every summary of the registry snapshots
(886k PyPI + 227k npm, with each package's name as a word of its own summary): latent
semantic analysis (TF-IDF document-word matrix, truncated SVD, cosine between word
vectors). Words that registry authors use together become neighbours, so a request for
"lint" also looks for "eslint" and "linter", and one for "coverage" for "istanbul".
Output: word<TAB>neighbour:similarity ... (unstemmed, lower case), one line per word.

Usage: python3 rag-index/scripts/word_neighbours.py --shared /work/shared/data --out rag-index/data/neighbours.tsv.gz
"""
import argparse, collections, csv, gzip, io, re, sys
import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import svds

csv.field_size_limit(sys.maxsize)
WORD = re.compile(r"[a-z][a-z0-9]+")
STOP = set("""a an the and or but if of to for in on at by with from as is are was were be been being am do does did
done have has had can could will would shall should may might must it its this that these those there here what which
who when where why how all any both each few more most other some no nor not only own same too very you your we our
they them their he she his her into onto via per than then so such also just about over under using use used based
python javascript library package module simple easy fast tool tools""".split())

def docs(shared):
    for path, name_col, text_col in ((f"{shared}/registry/pypi.tsv.gz", "name", "summary"), (f"{shared}/registry/npm.tsv.gz", "name", "summary")):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                text = (r[text_col] or "").lower()
                if len(text) < 12: continue
                name = re.sub(r"^@[^/]+/", "", r[name_col].lower())
                words = [w for w in WORD.findall(text) if w not in STOP]
                words += [p for p in re.split(r"[^a-z0-9]+", name) if len(p) > 1 and p not in STOP]
                yield set(words)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--vocab", type=int, default=30000)
    ap.add_argument("--dims", type=int, default=96)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--min-sim", type=float, default=0.55)
    a = ap.parse_args()
    sets = list(docs(a.shared))
    df = collections.Counter(w for s in sets for w in s)
    vocab = [w for w, c in df.most_common() if c >= 20][: a.vocab]
    idx = {w: i for i, w in enumerate(vocab)}
    rows, cols = [], []
    for d, s in enumerate(sets):
        for w in s:
            i = idx.get(w)
            if i is not None: rows.append(d); cols.append(i)
    n = len(sets)
    idf = np.log(n / np.array([df[w] for w in vocab], dtype=np.float64)).astype(np.float32)
    x = csr_matrix((idf[cols], (rows, cols)), shape=(n, len(vocab)), dtype=np.float32)
    print(f"{n} summaries, {len(vocab)} words, {x.nnz} entries", file=sys.stderr)
    _, sv, vt = svds(x, k=a.dims, random_state=13)
    vecs = (vt.T * sv).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
    out = io.StringIO()
    for start in range(0, len(vocab), 2000):
        sims = vecs[start:start + 2000] @ vecs.T
        for j, row in enumerate(sims):
            i = start + j
            row[i] = -1
            top = np.argpartition(-row, a.k)[: a.k]
            top = top[np.argsort(-row[top])]
            keep = [f"{vocab[t]}:{row[t]:.2f}" for t in top if row[t] >= a.min_sim]
            if keep: out.write(f"{vocab[i]}\t{' '.join(keep)}\n")
    with open(a.out, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", mtime=0) as g:
            g.write(out.getvalue().encode())

if __name__ == "__main__":
    main()
