#!/usr/bin/env python3
"""Checks questions.json against the documents in docs/.

Each document is reduced to text blocks the way OrleansRag's HtmlExtractor does it (scripts, styles, navigation,
forms, hidden elements and page-level header/footer dropped; headings, paragraphs, list items, <pre> blocks and
table rows as separate blocks; whitespace collapsed). A .txt document is one text with whitespace collapsed.

Reported as problems (exit code 1):
  - an unknown doc, kind or document kind, a duplicate id, a malformed fact;
  - a fact alternative that is not an exact substring (case-insensitive) of the document's text;
  - a fact alternative found only across block boundaries or only in headings (it must sit in body text);
  - counts below the minimums (72 questions, 16 per document kind).
Reported as notes: questions whose facts are all also met by another document's text.

Usage: python3 check.py [--dump DOC]   (--dump prints DOC's blocks, one a line)
"""
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"

KINDS = {"list", "definition", "procedure", "comparison", "fact"}
MIN_TOTAL = 72
MIN_PER_DOC_KIND = 16

# Document kind of each file, by name.
DOC_KINDS = {
    "git-user-manual.html": "manual",
    "git-stash.html": "manual",
    "git-bisect.html": "manual",
    "git-worktree.html": "manual",
    "git-reset.html": "manual",
    "python-library-json.html": "api",
    "python-library-shutil.html": "api",
    "python-library-tempfile.html": "api",
    "python-library-functools.html": "api",
    "python-library-shlex.html": "api",
    "python-reference-compound-stmts.html": "spec",
    "python-reference-simple-stmts.html": "spec",
    "debian-policy-ch-files.html": "spec",
    "debian-policy-ch-maintainerscripts.html": "spec",
    "debian-policy-ch-relationships.html": "spec",
    "python-tutorial-controlflow.html": "prose",
    "python-tutorial-venv.html": "prose",
    "python-tutorial-errors.html": "prose",
    "python-tutorial-modules.html": "prose",
    "python-howto-sorting.html": "prose",
}

DROPPED_TAGS = {"script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg", "canvas",
                "button", "select", "object", "embed"}
DROPPED_ROLES = {"navigation", "banner", "contentinfo", "search"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
BLOCK_TAGS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre",
              "table", "thead", "tbody", "tfoot", "figure", "figcaption", "address", "details", "summary", "hr",
              "body", "caption", "center"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


def clean(text):
    return " ".join(text.split())


class Extractor(HTMLParser):
    """A streaming approximation of HtmlExtractor: blocks of (kind, text), kind in heading/paragraph/row."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # open element names
        self.skip_depth = None   # stack depth at which a dropped element opened
        self.inline = []
        self.blocks = []
        self.row = None          # cells of the current <tr>, or None
        self.cell = None         # text of the current cell

    def flush(self, kind="paragraph"):
        text = clean("".join(self.inline))
        self.inline = []
        if text:
            if kind == "paragraph" and any(t in ("li", "dd", "dt") for t in self.stack):
                kind = "item"  # same as a paragraph for the checks; shown by --dump
            elif kind == "paragraph" and "pre" in self.stack:
                kind = "pre"
            self.blocks.append((kind, text))

    def dropped(self, tag, attrs):
        a = dict(attrs)
        if tag in DROPPED_TAGS or a.get("role") in DROPPED_ROLES or a.get("aria-hidden") == "true" or "hidden" in a:
            return True
        if tag in ("header", "footer") and not any(t in ("article", "main") for t in self.stack):
            return True
        return False

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if self.skip_depth is None and tag == "br":
                self.text(" ")
            elif self.skip_depth is None and tag == "hr":
                self.flush()
            return
        self.stack.append(tag)
        if self.skip_depth is not None:
            return
        if self.dropped(tag, attrs):
            self.skip_depth = len(self.stack)
            return
        if self.row is not None:
            if tag in ("td", "th"):
                self.cell = []
            return
        if tag == "tr":
            self.flush()
            self.row = []
        elif tag in HEADINGS or tag in BLOCK_TAGS:
            self.flush()

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in self.stack:
            return
        while self.stack:
            open_tag = self.stack.pop()
            self.end_element(open_tag)
            if open_tag == tag:
                break

    def end_element(self, tag):
        depth = len(self.stack) + 1
        if self.skip_depth is not None:
            if depth <= self.skip_depth:
                self.skip_depth = None
            return
        if self.row is not None:
            if tag in ("td", "th") and self.cell is not None:
                self.row.append(clean("".join(self.cell)))
                self.cell = None
            elif tag == "tr":
                row = " | ".join(c for c in self.row if c)
                if row:
                    self.blocks.append(("row", row))
                self.row = None
            return
        if tag in HEADINGS:
            self.flush("heading")
        elif tag in BLOCK_TAGS:
            self.flush("pre" if tag == "pre" else "item" if tag in ("li", "dd", "dt") else "paragraph")
        elif tag in ("td", "th"):
            self.inline.append(" ")

    def text(self, data):
        if self.skip_depth is not None or "head" in self.stack:
            return
        if self.row is not None:
            if self.cell is not None:
                self.cell.append(data)
            return
        self.inline.append(data)

    def handle_data(self, data):
        self.text(data)

    def close_all(self):
        self.close_stack()
        self.flush()

    def close_stack(self):
        while self.stack:
            self.end_element(self.stack.pop())


def blocks_of(path):
    raw = path.read_bytes().decode("utf-8", errors="replace")
    if path.suffix == ".txt":
        return [("paragraph", clean(raw))]
    ex = Extractor()
    ex.feed(raw)
    ex.close()
    ex.close_all()
    return ex.blocks


def main(argv):
    if len(argv) > 2 and argv[1] == "--dump":
        for kind, text in blocks_of(DOCS / argv[2]):
            print(f"[{kind}] {text}")
        return 0

    data = json.loads((HERE / "questions.json").read_text(encoding="utf-8"))
    questions = data["questions"]
    problems = []
    notes = []

    files = {p.name for p in DOCS.iterdir() if p.is_file()}
    for name in sorted(files - set(DOC_KINDS)):
        problems.append(f"docs/{name}: no document kind in DOC_KINDS")
    for name in sorted(set(DOC_KINDS) - files):
        problems.append(f"DOC_KINDS names {name}, which is not in docs/")

    blocks = {name: blocks_of(DOCS / name) for name in sorted(files)}
    body = {n: [t.lower() for k, t in b if k != "heading"] for n, b in blocks.items()}
    heads = {n: [t.lower() for k, t in b if k == "heading"] for n, b in blocks.items()}
    whole = {n: " ".join(t.lower() for _, t in b) for n, b in blocks.items()}

    seen = set()
    by_kind, by_doc_kind, by_doc = {}, {}, {}
    for q in questions:
        qid = q.get("id", "?")
        if qid in seen:
            problems.append(f"{qid}: duplicate id")
        seen.add(qid)
        doc, kind = q.get("doc"), q.get("kind")
        if doc not in blocks:
            problems.append(f"{qid}: unknown doc {doc!r}")
            continue
        if kind not in KINDS:
            problems.append(f"{qid}: unknown kind {kind!r}")
        if not str(q.get("question", "")).strip():
            problems.append(f"{qid}: empty question")
        facts = q.get("facts")
        if not isinstance(facts, list) or not facts:
            problems.append(f"{qid}: no facts")
            continue
        by_kind[kind] = by_kind.get(kind, 0) + 1
        dk = DOC_KINDS.get(doc, "?")
        by_doc_kind[dk] = by_doc_kind.get(dk, 0) + 1
        by_doc[doc] = by_doc.get(doc, 0) + 1
        for i, fact in enumerate(facts):
            if not isinstance(fact, list) or not fact or not all(isinstance(a, str) and a.strip() for a in fact):
                problems.append(f"{qid}: fact {i} is not a non-empty list of strings")
                continue
            for alt in fact:
                a = clean(alt).lower()
                if any(a in t for t in body[doc]):
                    continue
                if any(a in t for t in heads[doc]):
                    problems.append(f"{qid}: fact {i} alternative {alt!r} is only in a heading of {doc}")
                elif a in whole[doc]:
                    problems.append(f"{qid}: fact {i} alternative {alt!r} spans block boundaries in {doc}")
                else:
                    problems.append(f"{qid}: fact {i} alternative {alt!r} not found in {doc}")
        # Could another document answer it as completely?
        for other, text in whole.items():
            if other == doc:
                continue
            if all(any(clean(a).lower() in text for a in fact) for fact in facts if isinstance(fact, list)):
                notes.append(f"{qid}: every fact is also in {other}")

    total = len(questions)
    if total < MIN_TOTAL:
        problems.append(f"{total} questions, fewer than {MIN_TOTAL}")
    for dk in sorted(set(DOC_KINDS.values())):
        if by_doc_kind.get(dk, 0) < MIN_PER_DOC_KIND:
            problems.append(f"{by_doc_kind.get(dk, 0)} questions on {dk} documents, fewer than {MIN_PER_DOC_KIND}")

    print(f"{total} questions over {len(by_doc)} of {len(files)} documents")
    print("per kind:          " + ", ".join(f"{k} {by_kind.get(k, 0)}" for k in sorted(KINDS)))
    print("per document kind: " + ", ".join(f"{k} {v}" for k, v in sorted(by_doc_kind.items())))
    for name in sorted(files):
        if by_doc.get(name, 0) == 0:
            notes.append(f"{name}: no question")
    for n in notes:
        print("note: " + n)
    for p in problems:
        print("PROBLEM: " + p)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
