"""Writes finetune/data/general_code.jsonl: package-free Python examples mixed into fine-tuning data to keep
general coding ability (the paper's fine-tune lost half its HumanEval pass@1). Every function below was written
for this project from the Python standard library's documented behaviour; none is a HumanEval problem. Each
example's test is executed before it is written, so every answer is known to run.

Usage: python3 finetune/make_general_code.py  (no dependencies)
"""
import json
import os
import textwrap

SYSTEM = ("You are a coding assistant that generates Python code to solve the user's request. "
          "Include the pip install command for any package you use.")

# (task after "Generate Python code that", code, test)
EXAMPLES = [
    ("counts how often each word occurs in a text", """
from collections import Counter

def word_counts(text):
    return Counter(text.lower().split())
""", "assert word_counts('a b A')['a'] == 2"),
    ("reverses the order of words in a sentence", """
def reverse_words(sentence):
    return " ".join(reversed(sentence.split()))
""", "assert reverse_words('one two three') == 'three two one'"),
    ("checks whether a string is a palindrome, ignoring case and spaces", """
def is_palindrome(s):
    t = "".join(ch.lower() for ch in s if not ch.isspace())
    return t == t[::-1]
""", "assert is_palindrome('Never odd or even') and not is_palindrome('abc')"),
    ("parses a JSON string and returns the value of a key", """
import json

def get_key(text, key, default=None):
    return json.loads(text).get(key, default)
""", "assert get_key('{\"a\": 1}', 'a') == 1 and get_key('{}', 'b', 0) == 0"),
    ("reads a CSV text into a list of dictionaries", """
import csv
import io

def read_csv(text):
    return list(csv.DictReader(io.StringIO(text)))
""", "assert read_csv('x,y\\n1,2\\n') == [{'x': '1', 'y': '2'}]"),
    ("computes the SHA-256 hex digest of a string", """
import hashlib

def sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
""", "assert sha256_hex('')[:8] == 'e3b0c442'"),
    ("returns the n-th Fibonacci number", """
def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
""", "assert [fibonacci(i) for i in range(7)] == [0, 1, 1, 2, 3, 5, 8]"),
    ("checks whether a number is prime", """
def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True
""", "assert [n for n in range(12) if is_prime(n)] == [2, 3, 5, 7, 11]"),
    ("flattens a nested list of lists", """
from itertools import chain

def flatten(lists):
    return list(chain.from_iterable(lists))
""", "assert flatten([[1, 2], [], [3]]) == [1, 2, 3]"),
    ("removes duplicates from a list while keeping the order", """
def unique(items):
    return list(dict.fromkeys(items))
""", "assert unique([3, 1, 3, 2, 1]) == [3, 1, 2]"),
    ("splits a list into chunks of a given size", """
def chunks(items, size):
    return [items[i:i + size] for i in range(0, len(items), size)]
""", "assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]"),
    ("merges two sorted lists into one sorted list", """
import heapq

def merge_sorted(a, b):
    return list(heapq.merge(a, b))
""", "assert merge_sorted([1, 4], [2, 3, 5]) == [1, 2, 3, 4, 5]"),
    ("finds the k largest numbers in a list", """
import heapq

def k_largest(numbers, k):
    return heapq.nlargest(k, numbers)
""", "assert k_largest([5, 1, 9, 3], 2) == [9, 5]"),
    ("computes the mean and median of a list of numbers", """
import statistics

def mean_median(numbers):
    return statistics.mean(numbers), statistics.median(numbers)
""", "assert mean_median([1, 2, 3, 10]) == (4, 2.5)"),
    ("counts the vowels in a string", """
def count_vowels(text):
    return sum(1 for ch in text.lower() if ch in "aeiou")
""", "assert count_vowels('Hello World') == 3"),
    ("converts a string to title case except small words", """
def title_case(text, small=("a", "an", "the", "of", "and")):
    words = text.lower().split()
    return " ".join(w if i and w in small else w.capitalize() for i, w in enumerate(words))
""", "assert title_case('the lord of the rings') == 'The Lord of the Rings'"),
    ("formats a number of seconds as hours, minutes and seconds", """
def hms(seconds):
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"
""", "assert hms(3725) == '01:02:05'"),
    ("returns the number of days between two dates", """
from datetime import date

def days_between(a, b):
    return abs((date.fromisoformat(b) - date.fromisoformat(a)).days)
""", "assert days_between('2024-01-01', '2024-03-01') == 60"),
    ("checks whether a year is a leap year", """
import calendar

def is_leap(year):
    return calendar.isleap(year)
""", "assert is_leap(2024) and not is_leap(1900) and is_leap(2000)"),
    ("extracts all email addresses from a text", """
import re

def find_emails(text):
    return re.findall(r"[\\w.+-]+@[\\w-]+\\.[\\w.-]+", text)
""", "assert find_emails('mail a@b.org or c.d@e.co') == ['a@b.org', 'c.d@e.co']"),
    ("groups words by their first letter", """
from collections import defaultdict

def group_by_first_letter(words):
    groups = defaultdict(list)
    for w in words:
        groups[w[0].lower()].append(w)
    return dict(groups)
""", "assert group_by_first_letter(['apple', 'Avocado', 'bean']) == {'a': ['apple', 'Avocado'], 'b': ['bean']}"),
    ("transposes a matrix given as a list of rows", """
def transpose(matrix):
    return [list(row) for row in zip(*matrix)]
""", "assert transpose([[1, 2, 3], [4, 5, 6]]) == [[1, 4], [2, 5], [3, 6]]"),
    ("computes the greatest common divisor and least common multiple of two numbers", """
import math

def gcd_lcm(a, b):
    return math.gcd(a, b), math.lcm(a, b)
""", "assert gcd_lcm(12, 18) == (6, 36)"),
    ("converts a decimal number to binary, octal and hexadecimal strings", """
def bases(n):
    return format(n, "b"), format(n, "o"), format(n, "x")
""", "assert bases(255) == ('11111111', '377', 'ff')"),
    ("encodes and decodes a string with base64", """
import base64

def b64_roundtrip(text):
    encoded = base64.b64encode(text.encode()).decode()
    return encoded, base64.b64decode(encoded).decode()
""", "assert b64_roundtrip('hi') == ('aGk=', 'hi')"),
    ("counts the lines, words and characters of a text", """
def wc(text):
    return len(text.splitlines()), len(text.split()), len(text)
""", "assert wc('a b\\nc\\n') == (2, 3, 6)"),
    ("returns the most common element of a list", """
from collections import Counter

def most_common(items):
    return Counter(items).most_common(1)[0][0]
""", "assert most_common([1, 2, 2, 3, 2]) == 2"),
    ("checks whether two strings are anagrams", """
from collections import Counter

def are_anagrams(a, b):
    return Counter(a.replace(" ", "").lower()) == Counter(b.replace(" ", "").lower())
""", "assert are_anagrams('Listen', 'Silent') and not are_anagrams('ab', 'abc')"),
    ("runs a binary search for a value in a sorted list", """
import bisect

def index_of(sorted_items, value):
    i = bisect.bisect_left(sorted_items, value)
    return i if i < len(sorted_items) and sorted_items[i] == value else -1
""", "assert index_of([1, 3, 5, 7], 5) == 2 and index_of([1, 3], 2) == -1"),
    ("computes a running total of a list of numbers", """
from itertools import accumulate

def running_total(numbers):
    return list(accumulate(numbers))
""", "assert running_total([1, 2, 3]) == [1, 3, 6]"),
    ("sorts a list of dictionaries by a key", """
from operator import itemgetter

def sort_by(rows, key):
    return sorted(rows, key=itemgetter(key))
""", "assert sort_by([{'n': 2}, {'n': 1}], 'n') == [{'n': 1}, {'n': 2}]"),
    ("writes text to a temporary file and reads it back", """
import os
import tempfile

def roundtrip_file(text):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "data.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        with open(path, encoding="utf-8") as f:
            return f.read()
""", "assert roundtrip_file('hello') == 'hello'"),
    ("parses a URL and returns its host and query parameters", """
from urllib.parse import parse_qs, urlparse

def host_and_query(url):
    parts = urlparse(url)
    return parts.hostname, parse_qs(parts.query)
""", "assert host_and_query('http://example.com/p?a=1&a=2') == ('example.com', {'a': ['1', '2']})"),
    ("computes the Levenshtein distance between two strings", """
def levenshtein(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]
""", "assert levenshtein('kitten', 'sitting') == 3"),
    ("rotates a list to the right by k positions", """
from collections import deque

def rotate(items, k):
    d = deque(items)
    d.rotate(k)
    return list(d)
""", "assert rotate([1, 2, 3, 4], 1) == [4, 1, 2, 3]"),
    ("checks whether brackets in a string are balanced", """
def balanced(text):
    pairs = {")": "(", "]": "[", "}": "{"}
    stack = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                return False
    return not stack
""", "assert balanced('(a[b]{c})') and not balanced('(]')"),
    ("converts a temperature from Celsius to Fahrenheit", """
def c_to_f(celsius):
    return celsius * 9 / 5 + 32
""", "assert c_to_f(100) == 212"),
    ("returns all permutations of a short string", """
from itertools import permutations

def all_permutations(s):
    return ["".join(p) for p in permutations(s)]
""", "assert sorted(all_permutations('ab')) == ['ab', 'ba']"),
    ("sums the digits of an integer", """
def digit_sum(n):
    return sum(int(d) for d in str(abs(n)))
""", "assert digit_sum(-1234) == 10"),
    ("caches the results of an expensive function", """
from functools import lru_cache

@lru_cache(maxsize=None)
def slow_square(n):
    return n * n
""", "assert slow_square(9) == 81 and slow_square.cache_info().currsize == 1"),
    ("defines a data class for a point and computes the distance between two points", """
import math
from dataclasses import dataclass

@dataclass
class Point:
    x: float
    y: float

    def distance(self, other):
        return math.hypot(self.x - other.x, self.y - other.y)
""", "assert Point(0, 0).distance(Point(3, 4)) == 5"),
    ("compresses and decompresses bytes with zlib", """
import zlib

def roundtrip(data):
    return zlib.decompress(zlib.compress(data))
""", "assert roundtrip(b'abc' * 10) == b'abc' * 10"),
    ("parses command line arguments with a name and a verbose flag", """
import argparse

def parse(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)
""", "a = parse(['bob', '--verbose']); assert a.name == 'bob' and a.verbose"),
    ("counts the files in a directory tree by extension", """
from collections import Counter
from pathlib import Path

def count_extensions(root):
    return Counter(p.suffix for p in Path(root).rglob("*") if p.is_file())
""", "import tempfile, pathlib\nd = tempfile.mkdtemp(); pathlib.Path(d, 'a.py').write_text('')\nassert count_extensions(d)['.py'] == 1"),
    ("validates that a string is a valid IPv4 address", """
import ipaddress

def is_ipv4(text):
    try:
        ipaddress.IPv4Address(text)
        return True
    except ValueError:
        return False
""", "assert is_ipv4('10.0.0.1') and not is_ipv4('300.1.1.1')"),
    ("returns the second largest distinct number in a list", """
def second_largest(numbers):
    distinct = sorted(set(numbers))
    return distinct[-2] if len(distinct) > 1 else None
""", "assert second_largest([4, 4, 2, 9]) == 4 and second_largest([1]) is None"),
    ("truncates a string to a maximum length with an ellipsis", """
import textwrap

def truncate(text, width):
    return textwrap.shorten(text, width=width, placeholder="...")
""", "assert truncate('hello big world', 12) == 'hello big...'"),
    ("builds a frequency table of characters sorted by count", """
from collections import Counter

def char_table(text):
    return Counter(text).most_common()
""", "assert char_table('aab')[0] == ('a', 2)"),
]


def main():
    out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "general_code.jsonl")
    rows = []
    for task, code, test in EXAMPLES:
        code = textwrap.dedent(code).strip() + "\n"
        exec(compile(code + "\n" + test + "\n", task, "exec"), {})  # every answer must run
        rows.append({"system": SYSTEM, "user": f"Generate Python code that {task}",
                     "answer": f"```python\n{code}```", "kind": "code", "ecosystem": "pypi",
                     "run": "general-stdlib-handwritten"})
    with open(out_path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"wrote {out_path}: {len(rows)} examples, all tests passed")


if __name__ == "__main__":
    main()
