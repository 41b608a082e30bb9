"""The README and the manual in docs/: every relative link resolves, and the README stays short.

Covers README.md and every docs/*.md. Each relative Markdown link, ``[text](path)`` or
``[text](path#anchor)``, images ``![alt](path)`` and reference definitions ``[name]: path``
included (and the ``src``/``href`` of any inline HTML), must point at a file or folder of the
repository: present, spelled with the right case, inside the checkout, and not ignored by git
(a link into ``var/`` works on one machine only). An ``#anchor`` must match a heading of the
target page, slugged as GitHub does (lower case, punctuation dropped, each space a hyphen,
``-1``, ``-2``... for repeated headings); an anchor into a file that is not Markdown may only be a
line (``#L10``, ``#L10-L20``). Links inside code (fenced blocks, inline spans) are text, not
links. External links (``http://``, ``https://``, ``mailto:``...) are not fetched: the tests have
no network. A failure names the file and line of every broken link.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
README_MAX_LINES = 220

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# The target of an inline link or image: "](target)", "](target#anchor)", "](<target>)", "](target "title")".
INLINE_LINK = re.compile(r"\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_ATTRIBUTE = re.compile(r"""<[a-zA-Z][^>]*?\b(?:src|href)\s*=\s*["']([^"']*)["']""")
ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
LINE_ANCHOR = re.compile(r"^L\d+(?:-L\d+)?$")


@dataclass(frozen=True)
class Link:
    file: Path
    line: int
    target: str

    def where(self, root: Path) -> str:
        return f"{self.file.relative_to(root)}:{self.line}: ({self.target})"


def documents(root: Path) -> list[Path]:
    """The README and every page of the manual."""
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, with inline code spans blanked out."""
    lines = []
    in_fence = None
    for number, line in enumerate(text.splitlines(), start=1):
        fence = FENCE.match(line)
        if fence:
            if in_fence is None:
                in_fence = fence.group(1)
            elif fence.group(1) == in_fence:
                in_fence = None
            continue
        if in_fence is None:
            lines.append((number, INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)))
    return lines


def links(path: Path) -> list[Link]:
    found = []
    for number, line in prose_lines(path.read_text(encoding="utf-8")):
        targets = [m.group(1) for m in INLINE_LINK.finditer(line)]
        targets += [m.group(1) for m in REFERENCE_DEFINITION.finditer(line)]
        targets += [m.group(1) for m in HTML_ATTRIBUTE.finditer(line)]
        found += [Link(path, number, target.strip("<>")) for target in targets]
    return found


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it, from the heading's Markdown source."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images: their text
    text = INLINE_CODE.sub(lambda m: m.group(2).strip(), text)
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = text.replace("*", "")  # emphasis (underscores stay: GitHub keeps them in a slug)
    text = "".join(c for c in text.lower() if c.isalnum() or c in "_- ")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file, repeated headings numbered as GitHub does."""
    seen: dict[str, int] = {}
    found = set()
    in_fence = None
    for line in path.read_text(encoding="utf-8").splitlines():
        fence = FENCE.match(line)
        if fence:
            if in_fence is None:
                in_fence = fence.group(1)
            elif fence.group(1) == in_fence:
                in_fence = None
            continue
        heading = ATX_HEADING.match(line)
        if in_fence is None and heading:
            base = slug(heading.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def exact_case(path: Path, root: Path) -> bool:
    """Whether every part of ``path`` below ``root`` is spelled as on disk (case-insensitive file systems)."""
    here = root
    for part in path.relative_to(root).parts:
        if part not in {p.name for p in here.iterdir()}:
            return False
        here = here / part
    return True


def ignored_by_git(paths: list[Path], root: Path) -> set[Path]:
    """Those of ``paths`` that git ignores (none when ``root`` is no git checkout or git is absent)."""
    if not paths or not (root / ".git").exists() or shutil.which("git") is None:
        return set()
    answer = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "--stdin"],
        input="\n".join(str(p.relative_to(root)) for p in paths),
        capture_output=True,
        text=True,
        check=False,
    )
    return {(root / line).resolve() for line in answer.stdout.splitlines() if line}


def broken_links(root: Path) -> list[str]:
    """Every broken relative link of the README and docs/*.md, as ``file:line: (target) why``."""
    problems = []
    resolved: list[tuple[Link, Path]] = []
    for document in documents(root):
        for link in links(document):
            if SCHEME.match(link.target):
                continue  # external: not fetched
            path_part, _, anchor = unquote(link.target).partition("#")
            if not path_part:
                target = document
            elif path_part.startswith("/"):
                target = (root / path_part.lstrip("/")).resolve()
            else:
                target = (document.parent / path_part).resolve()
            if not target.is_relative_to(root):
                problems.append(f"{link.where(root)} points outside the repository")
            elif not target.exists():
                problems.append(f"{link.where(root)} no such file or folder: {target.relative_to(root)}")
            elif not exact_case(target, root):
                problems.append(f"{link.where(root)} differs in case from the file on disk")
            else:
                resolved.append((link, target))
                if not anchor:
                    continue
                page = target / "README.md" if target.is_dir() else target
                if page.suffix.lower() == ".md" and page.is_file():
                    if anchor not in anchors(page):
                        problems.append(f"{link.where(root)} no heading #{anchor} in {page.relative_to(root)}")
                elif not LINE_ANCHOR.match(anchor):
                    problems.append(f"{link.where(root)} #{anchor} is no heading (not Markdown) and no line (#L10)")
    ignored = ignored_by_git([target for _, target in resolved], root)
    problems += [f"{link.where(root)} is ignored by git: not in a checkout" for link, target in resolved if target in ignored]
    return problems


def test_it_finds_the_readme_and_the_manual():
    names = [str(p.relative_to(REPO)) for p in documents(REPO)]
    assert "docs/README.md" in names, names
    assert all(p.is_file() for p in documents(REPO))


def test_it_resolves_every_relative_link_and_anchor():
    checked = sum(len(links(p)) for p in documents(REPO))
    assert checked > 50, f"only {checked} links found: is the parser blind?"
    problems = broken_links(REPO)
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_it_keeps_the_readme_within_a_few_screens():
    lines = len((REPO / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines, at most {README_MAX_LINES}: move the rest into docs/"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Two commands, on a fresh machine", "two-commands-on-a-fresh-machine"),
        ("The geo core (`worldnet_core`)", "the-geo-core-worldnet_core"),
        ("The paper's tables on the demo world", "the-papers-tables-on-the-demo-world"),
        ("On real photos: the shared sample (tiny)", "on-real-photos-the-shared-sample-tiny"),
        ("Is worldNET the best of the six?", "is-worldnet-the-best-of-the-six"),
        ("What `make test` runs: linters, then pytest twice", "what-make-test-runs-linters-then-pytest-twice"),
        ("Where do I change...", "where-do-i-change"),
        ("Unseen images of seen places (the paper's Figure 4a)", "unseen-images-of-seen-places-the-papers-figure-4a"),
        ("**Bold** and [a link](x.md)", "bold-and-a-link"),
        ("Säo Paulo × 2", "säo-paulo--2"),
    ],
)
def test_it_slugs_headings_as_github_does(heading, anchor):
    assert slug(heading) == anchor


def test_it_names_file_and_line_of_every_broken_link(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "shot.jpg").write_bytes(b"")
    (tmp_path / "docs" / "page.md").write_text("# A page\n\n## Twice\n\n## Twice\n", encoding="utf-8")
    (tmp_path / "README.md").write_text(
        "# Title\n"
        "[good](docs/page.md#twice-1) ![good](static/shot.jpg) [here](#title) <https://example.org>\n"
        "[missing](docs/nowhere.md)\n"
        "![missing image](static/nothing.jpg)\n"
        "[no such heading](docs/page.md#thrice)\n"
        "[outside](../elsewhere.md)\n"
        "`[in code](docs/nowhere.md)` and [external](https://example.org/nowhere.md)\n"
        "```\n[in a block](docs/nowhere.md)\n```\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "README.md").write_text("[up](../README.md#nothing)\n[a line](../static/shot.jpg#L3)\n", encoding="utf-8")

    problems = broken_links(tmp_path)

    assert problems == [
        "README.md:3: (docs/nowhere.md) no such file or folder: docs/nowhere.md",
        "README.md:4: (static/nothing.jpg) no such file or folder: static/nothing.jpg",
        "README.md:5: (docs/page.md#thrice) no heading #thrice in docs/page.md",
        "README.md:6: (../elsewhere.md) points outside the repository",
        "docs/README.md:1: (../README.md#nothing) no heading #nothing in README.md",
    ]
