"""Writing a randomized problem set: per-variant documents, one combined key, PDFs.

The layout of ``derive generate SPEC -o DIR``::

    DIR/key.json           every variant's parts, labelled "v07/2a" (what `derive grade` reads)
    DIR/key.csv            variant, part, result, exact and decimal answers, one row per result
    DIR/v01/ ... vNN/      questions.tex, solutions.tex, key.tex, key.json (+ their PDFs)
    DIR/questions.tex ...  with --combined: all variants in one document each, compiled once
    DIR/moodle.xml         with --moodle: a question bank, one category per part, a question per variant

Everything is written into a staging folder beside DIR and moved into place only when
all of it (PDFs included) succeeded; a DIR written by an earlier run is replaced whole.
Files are written as the variants come in, so memory stays flat for thousands of them
(only the Moodle XML, when asked for, is kept to the end to be regrouped by part).

PDFs are reproducible: SOURCE_DATE_EPOCH is fixed, so pdfTeX writes the same dates and
document ID, and the same seed gives byte-identical PDFs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .key_json import csv_cell, csv_text, json_line
from .errors import InputError, RenderError

__all__ = ["write_variants", "generate_into", "write_folder", "VariantWriter", "Written", "CombinedDocument", "combine_documents", "KeyWriter",
           "VariantFiles", "variant_files", "moodle_bank", "label", "KEY_FORMAT", "PDF_ENV", "CSV_COLUMNS"]

KEY_FORMAT = "derive-variants-key"
DOCUMENT_NAMES = ("questions", "solutions", "key")
# Fixed dates for pdfTeX (2000-01-01): same input, same PDF bytes.
PDF_ENV = {"SOURCE_DATE_EPOCH": "946684800", "FORCE_SOURCE_DATE": "1"}
CSV_COLUMNS = ("variant", "label", "part", "problem", "kind", "result", "points", "graded", "exact", "decimal")


def label(vid: str, part: str) -> str:
    """A part's label in the combined key: ``label("v07", "2a") == "v07/2a"``."""
    return f"{vid}/{part}"


# ---------------------------------------------------------------------------------
# One LaTeX document for all variants.

_BEGIN, _END = "\\begin{document}", "\\end{document}"
_PAGE_COMMANDS = ("\\firstpageheader", "\\runningheader", "\\firstpagefooter", "\\runningfooter")


def _split(source: str, vid: str) -> tuple[str, list[str], str]:
    """(preamble without the page styles, the page-style lines, body) of one exam document."""
    start, end = source.find(_BEGIN), source.rfind(_END)
    if start < 0 or end < start:
        raise RenderError(f"{vid}: not a complete LaTeX document (no \\begin{{document}} ... \\end{{document}})")
    lines = source[:start].splitlines()
    styles = [line for line in lines if line.startswith(_PAGE_COMMANDS)]
    preamble = "\n".join(line for line in lines if not line.startswith(_PAGE_COMMANDS))
    return preamble, styles, source[start + len(_BEGIN):end]


# exam.cls adds up questions and points over the whole file and keeps the totals in the
# .aux for \numpoints, \numquestions and the grade table; starting each variant from zero
# makes them one variant's (all variants have the same questions and points).
_RESET_TOTALS = (r"\makeatletter\set@hlfcntr{numpoints}{0}\set@hlfcntr{numbonuspoints}{0}"
                 r"\setcounter{numquestions}{0}\setcounter{numparts}{0}\setcounter{numsubparts}{0}"
                 r"\setcounter{numsubsubparts}{0}\makeatother")


class CombinedDocument:
    """All variants of one document (questions, solutions or key) in one exam-class file.

    Each variant starts on a fresh (odd) page with page 1, question 1 and its own header;
    "Page x of y" counts the variant's pages; the totals exam.cls prints (\\numpoints,
    \\numquestions, the grade table) are one variant's: all variants have the same
    questions and points, only their data differ.
    """

    def __init__(self, path: Path):
        self.path = path
        self.file = None
        self.preamble = None
        self.plots: dict[str, str] = {}  # plot source → "" (seen once) or its box
        self.boxes = 0

    def add(self, vid: str, source: str) -> None:
        preamble, styles, body = _split(source, vid)
        if self.file is None:
            self.preamble = preamble
            self.file = open(self.path, "w", encoding="utf-8")
            self.file.write(preamble + "\n" + _BEGIN + "\n")
        else:
            if preamble != self.preamble:
                raise RenderError(f"{vid}: its preamble differs from the first variant's; cannot combine")
            self.file.write("\n\\cleardoublepage\n")
        last = f"derive@last@{vid}"
        self.file.write(f"\\setcounter{{page}}{{1}}\\setcounter{{question}}{{0}}{_RESET_TOTALS}%\n")
        for line in styles:
            self.file.write(line.replace("\\numpages", f"\\pageref{{{last}}}") + "\n")
        self.file.write(_TIKZ.sub(self._reuse_plot, body))
        self.file.write(f"\\label{{{last}}}%\n")

    def _reuse_plot(self, match) -> str:
        """A plot that an earlier variant had too (a fixed problem's) is typeset into a global
        box the second time and copied from then on: pgfplots is most of the time a combined
        solutions document takes.  Plots seen once are left as they are (and kept in no box)."""
        text = match.group(0)
        box = self.plots.get(text)
        if box is None:
            self.plots[text] = ""
            return text
        if box == "":
            box = self.plots[text] = "\\deriveplot" + _letters(self.boxes)
            self.boxes += 1
            return f"\\newsavebox{{{box}}}\\global\\setbox{box}=\\hbox{{{text}}}\\usebox{{{box}}}"
        return f"\\usebox{{{box}}}"

    def close(self) -> None:
        if self.file is not None:
            self.file.write(_END + "\n")
            self.discard()

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


_TIKZ = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)


def _letters(n: int) -> str:
    """0 → "A", 25 → "Z", 26 → "BA": TeX control-sequence names take letters only."""
    out = ""
    while True:
        n, r = divmod(n, 26)
        out = chr(65 + r) + out
        if n == 0:
            return out


def combine_documents(sources: list[tuple[str, str]]) -> str:
    """(variant id, LaTeX source) pairs → one document (the in-memory form of CombinedDocument)."""
    with tempfile.TemporaryDirectory() as tmp:
        doc = CombinedDocument(Path(tmp) / "combined.tex")
        for vid, source in sources:
            doc.add(vid, source)
        doc.close()
        return (Path(tmp) / "combined.tex").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------
# The combined key: key.json (streamed) and key.csv.

@dataclass(frozen=True)
class VariantFiles:
    """One variant's output as text, ready to write.

    Made where the variant is built: only strings then cross between processes (a key
    dict of a few thousand small objects costs more to pickle than to render as JSON).
    """

    tex: dict[str, str]      # document name → LaTeX source
    key_json: str            # the variant's own key.json
    key_parts: str           # its lines of the combined key.json's "parts"
    key_written: str         # its lines of "written_parts"
    key_csv: str             # its rows of key.csv
    counts: tuple[int, int]  # how many parts and written parts
    in_folder: bool = False  # its folder is written (by the worker that built it): `tex` is
                             # then only what the combined documents need, `key_json` is "",
                             # and the key's lines and rows are `encoded` (key_parts, key_written
                             # and key_csv are "")
    encoded: tuple[bytes, bytes, bytes] | None = None  # `key_bytes()`, made where it was built

    def written(self, folder: Path, *, keep_sources: bool) -> VariantFiles:
        """Write the variant's folder; what is left to send to the process writing the rest."""
        write_folder(folder, self)
        return VariantFiles(self.tex if keep_sources else {}, "", "", "", "", self.counts, True, self.key_bytes())

    def key_bytes(self) -> tuple[bytes, bytes, bytes]:
        """key_parts, key_written and key_csv in UTF-8, as `KeyWriter` writes them.  Made in
        the worker, they cross the pipe as bytes: the main process then neither decodes nor
        encodes again ~20 kB of text a variant (mostly not Latin-1: 2 bytes a character)."""
        if self.encoded is not None:
            return self.encoded
        return self.key_parts.encode("utf-8"), self.key_written.encode("utf-8"), self.key_csv.encode("utf-8")


def write_folder(folder: Path, files: VariantFiles) -> None:
    """A variant's own folder: its three LaTeX sources and its key.json (replaced if there)."""
    folder = os.fspath(folder)
    try:
        os.mkdir(folder)
    except FileExistsError:
        if not os.path.isdir(folder):
            raise
    for name, tex in files.tex.items():
        _write(f"{folder}/{name}.tex", tex)
    _write(f"{folder}/key.json", files.key_json)


def _write(path: str, text: str) -> None:
    """`Path(path).write_text(text, encoding="utf-8")` but for line ends, which it would
    translate on Windows: without its Path, buffered text file and encoder, ~20 µs less a
    file, four files a variant (in the worker that built it)."""
    data = memoryview(text.encode("utf-8"))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def variant_files(vid: str, docs) -> VariantFiles:
    """A variant's `derive.documents.Documents` as the text of its files and key entries
    (each entry encoded once, for its own key.json and, relabelled, for the combined one;
    key.csv's rows from the pieces the key was put together from)."""
    lines: dict[str, list[str]] = {"parts": [], "written_parts": []}
    rows = []
    # "v07/2a" as JSON is '"v07/' and '2a"': a JSON string is its characters' encodings in a row
    prefix = json_line(label(vid, ""))[:-1]
    variant = f', "variant": {json_line(vid)}, "variant_part": '
    key = docs.key_parts()
    for entry in key.entries:
        lines[entry.group].append(entry.text(prefix + entry.part_json[1:], variant + entry.part_json) + "\n")
        if entry.csv_rows:
            cells = csv_text((vid, label(vid, entry.part)))
            rows += [f"{cells},{row}\n" for row in entry.csv_rows]
    return VariantFiles(docs.tex(), key.text(), "".join(lines["parts"]), "".join(lines["written_parts"]),
                        "".join(rows), (len(lines["parts"]), len(lines["written_parts"])))


class KeyWriter:
    """key.json and key.csv for all variants, written variant by variant.

    key.json's "parts" go straight into it; its "written_parts", which follow them, into a
    side file already in their final form, copied in at the end (it used to rewrite both
    arrays line by line there: 20 MB for 1,000 variants, ~0.1 s after the workers had finished).
    """

    def __init__(self, directory: Path, header: dict):
        self.directory = directory
        self.out = open(directory / "key.json", "wb")
        head = json.dumps(header, ensure_ascii=False, indent=2)
        self.out.write(((head[:-2] + ",\n" if header else "{\n") + '  "parts": [').encode("utf-8"))  # reopened
        self.written = open(directory / ".written_parts.json", "wb")
        self.csv_file = open(directory / "key.csv", "wb")
        self.csv_file.write((csv_text(CSV_COLUMNS) + "\n").encode("utf-8"))
        self.count = {"parts": 0, "written_parts": 0}

    def add(self, files: VariantFiles) -> None:
        parts, written, rows = files.key_bytes()
        _append_entries(self.out, parts, self.count["parts"])
        _append_entries(self.written, written, self.count["written_parts"])
        self.csv_file.write(rows)
        self.count["parts"] += files.counts[0]
        self.count["written_parts"] += files.counts[1]

    def discard(self) -> None:
        for f in (self.out, self.written, self.csv_file):
            f.close()

    def close(self) -> None:
        out = self.out
        out.write(b"\n  ]" if self.count["parts"] else b"]")
        out.write(b',\n  "written_parts": [')
        self.written.close()
        with open(self.directory / ".written_parts.json", "rb") as f:  # bytes: ~10 MB not decoded and encoded again
            shutil.copyfileobj(f, out, 1 << 20)
        out.write(b"\n  ]" if self.count["written_parts"] else b"]")
        out.write(b"\n}\n")
        self.discard()
        os.remove(self.directory / ".written_parts.json")


def _append_entries(out, lines: bytes, count: int) -> None:
    """A variant's key entries (JSON in UTF-8, one per line) appended to an open array that
    has `count` already: each on its own indented line, commas between (JSON text has no
    raw newline inside an entry).  Bytes: bytes.replace looks for one byte, str.replace ran
    ~8× longer on 2-byte characters."""
    if lines:
        out.write((b"\n    " if count == 0 else b",\n    ") + lines[:-1].replace(b"\n", b",\n    "))


_cell = csv_cell  # a CSV cell as a student would type it (see derive.key_json)


# ---------------------------------------------------------------------------------
# Moodle: one category per part, one question per variant.

def moodle_bank(xmls: list[tuple[str, str]], category: str) -> str:
    """Regroup per-variant Moodle XML files into a bank for "random question" slots.

    Moodle's importer files each question under the last category element before it;
    here every part gets a category ``<category>/<part label> <title>`` holding one
    question per variant (named "... (v07)").  Questions identical in every variant
    (free text, multiple choice) are kept once.
    """
    import xml.etree.ElementTree as ET

    groups: dict[str, list] = {}
    bodies: dict[str, set] = {}
    for vid, text in xmls:
        root = ET.fromstring(text.encode("utf-8"))
        for q in root.findall("question"):
            if q.get("type") == "category":
                continue
            name_el = q.find("name/text")
            name = name_el.text or ""
            part = name.split(" ", 1)[0]
            body = ET.tostring(q, encoding="unicode")
            if body in bodies.setdefault(part, set()):
                continue
            bodies[part].add(body)
            group = groups.setdefault(part, [name, []])
            name_el.text = f"{name} ({vid})"
            group[1].append(q)
    quiz = ET.Element("quiz")
    for part, (name, questions) in groups.items():
        cat = ET.SubElement(quiz, "question", {"type": "category"})
        ET.SubElement(ET.SubElement(cat, "category"), "text").text = f"$course$/top/{category}/{name}"
        quiz.extend(questions)
    ET.indent(quiz, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") + "\n"


# ---------------------------------------------------------------------------------
# The whole set.

@dataclass(frozen=True)
class Written:
    directory: Path
    variants: tuple[str, ...]
    files: int
    pdfs: int
    pdf_seconds: float
    message: str = ""


class VariantWriter:
    """Collects built variants into a staging folder; `finish` compiles and publishes."""

    def __init__(self, outdir, header: dict, *, pdf: bool = True, combined: bool = False,
                 moodle_category: str | None = None):
        self.outdir = Path(outdir)
        _check_target(self.outdir)
        parent = self.outdir.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        self.staging = Path(tempfile.mkdtemp(prefix=f".{self.outdir.name}.", dir=parent))
        self.pdf, self.combined = pdf, combined
        self.key = KeyWriter(self.staging, header)
        self.docs = ({name: CombinedDocument(self.staging / f"{name}.tex")
                      for name in DOCUMENT_NAMES} if combined else {})
        self.moodle_category = moodle_category
        self.moodle: list[tuple[str, str]] = []
        self.ids: list[str] = []
        self.files = 0

    def add(self, built) -> None:
        vid, files = built.id, built.files
        if not files.in_folder:
            write_folder(self.staging / vid, files)
        if self.combined:
            for name, tex in files.tex.items():
                self.docs[name].add(vid, tex)
        self.files += 4
        self.key.add(files)
        if built.moodle is not None:
            self.moodle.append((vid, built.moodle))
        self.ids.append(vid)

    def finish(self, *, jobs: int = 1, timeout: float | None = None) -> Written:
        """Close the key and the combined documents, compile PDFs, move it all into place."""
        from .render.pdf import PDFLATEX_MISSING, pdflatex_available

        self.key.close()
        for doc in self.docs.values():
            doc.close()
        self.files += 2 + len(self.docs)
        if self.moodle_category is not None:
            (self.staging / "moodle.xml").write_text(moodle_bank(self.moodle, self.moodle_category),
                                                     encoding="utf-8")
            self.files += 1
        message, seconds, tex_files = "", 0.0, []
        if self.pdf:
            if not pdflatex_available():
                message = PDFLATEX_MISSING
            else:
                if self.combined:
                    tex_files = [self.staging / f"{name}.tex" for name in DOCUMENT_NAMES]
                    limit = timeout or 120 + 2.0 * len(self.ids)
                else:
                    tex_files = [self.staging / vid / f"{name}.tex" for vid in self.ids for name in DOCUMENT_NAMES]
                    limit = timeout or 120
                start = time.perf_counter()
                _compile_all(tex_files, jobs, limit)
                seconds = time.perf_counter() - start
        _publish(self.staging, self.outdir)
        return Written(self.outdir, tuple(self.ids), self.files + len(tex_files), len(tex_files), seconds, message)

    def abort(self) -> None:
        self.key.discard()
        for doc in self.docs.values():
            doc.discard()
        shutil.rmtree(self.staging, ignore_errors=True)


def _compile_all(tex_files: list[Path], jobs: int, timeout: float) -> None:
    from concurrent.futures import ThreadPoolExecutor  # only for PDFs: ~7 ms to import

    from .render.pdf import compile_pdf

    def one(path: Path) -> None:
        data = compile_pdf(path.read_text(encoding="utf-8"), timeout=timeout, env=PDF_ENV)
        path.with_suffix(".pdf").write_bytes(data)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, p) for p in tex_files]
        try:
            for f, p in zip(futures, tex_files):
                try:
                    f.result()
                except RenderError as e:
                    raise RenderError(f"{p.parent.name}/{p.name}: {e}" if p.parent.name.startswith("v")
                                      else f"{p.name}: {e}") from None
        finally:
            for f in futures:
                f.cancel()


def _is_ours(directory: Path) -> bool:
    """A folder an earlier `derive generate` wrote (its key.json says so)."""
    try:
        with open(directory / "key.json", encoding="utf-8") as f:
            head = f.read(4096)
    except OSError:
        return False
    return f'"format": "{KEY_FORMAT}"' in head


def _check_target(outdir: Path) -> None:
    if outdir.exists():
        if not outdir.is_dir():
            raise InputError("output", f"{outdir} exists and is not a folder")
        if any(outdir.iterdir()) and not _is_ours(outdir):
            raise InputError("output", f"{outdir} is not empty and was not written by derive generate; "
                                       "choose a new or empty folder")


def _publish(staging: Path, outdir: Path) -> None:
    """Rename staging to outdir; an earlier run's folder is swapped out, then removed."""
    _check_target(outdir)  # again: it may have changed while we worked
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp made it private (0700)
    old = None
    if outdir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.old.", dir=staging.parent))
        os.replace(outdir, old / "previous")
    try:
        os.replace(staging, outdir)
    except OSError:
        if old is not None:
            os.replace(old / "previous", outdir)  # put the earlier run back
        raise
    finally:
        if old is not None:
            _remove_tree(old)


def _remove_tree(folder: Path, threads: int = 8) -> None:
    """`shutil.rmtree(folder, ignore_errors=True)`, the entries of its subfolders on
    `threads` threads: an earlier run's folder (5,000 files for 1,000 variants) took 7-18 s
    to delete one file at a time on this machine's ext4 (each unlink waits on the disk's
    discard) and 0.6-0.9 s on 8 threads, after the new folder was in place."""
    try:
        inner = [entry.path for top in os.scandir(folder) if top.is_dir(follow_symlinks=False)
                 for entry in os.scandir(top.path)]
    except OSError:
        inner = []
    if len(inner) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(_remove_entry, inner):
                pass
    shutil.rmtree(folder, ignore_errors=True)


def _remove_entry(path: str) -> None:
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)
    except OSError:
        pass


def write_variants(variants, outdir, header: dict, *, pdf: bool = True, combined: bool = False,
                   moodle_category: str | None = None, jobs: int = 1) -> Written:
    """Write `BuiltVariant`s (see `derive.generate.iter_variants`) into `outdir`.

    `variants`: the variants, or a function ``(staging folder, keep_sources) -> variants``
    whose variants' folders are written there as they are built (see `generate_into`).
    """
    try:
        writer = VariantWriter(outdir, header, pdf=pdf, combined=combined, moodle_category=moodle_category)
    except OSError as e:
        raise InputError("output", f"cannot write {outdir}: {e.strerror or e}") from None
    if callable(variants):
        variants = variants(writer.staging, combined)
    try:
        for built in variants:
            writer.add(built)
        return writer.finish(jobs=jobs)
    except BaseException as e:
        close = getattr(variants, "close", None)
        if close is not None:
            close()  # a generator: stop its worker processes now (before their folder goes)
        writer.abort()
        if isinstance(e, OSError):
            raise InputError("output", f"cannot write {outdir}: {e.strerror or e}") from None
        raise


def generate_into(plan, outdir, header: dict, *, pdf: bool = True, combined: bool = False,
                  moodle_category: str | None = None, jobs: int = 1, **options) -> Written:
    """Build the plan's variants (`derive.generate.iter_variants`, `options`) and write them
    into `outdir`.  The process that builds a variant writes its folder, so with worker
    processes the main one only gathers the combined key (and the Moodle bank and combined
    documents when asked): it would otherwise receive and write every variant's ~100 kB of
    LaTeX, while the workers wait for it.
    """
    from .generate import iter_variants

    def build(staging: Path, keep_sources: bool):
        return iter_variants(plan, jobs=jobs, moodle=moodle_category is not None, folder=staging,
                             keep_sources=keep_sources, **options)

    return write_variants(build, outdir, header, pdf=pdf, combined=combined, moodle_category=moodle_category,
                          jobs=jobs)
