"""Compile LaTeX source to PDF with the system's TeX Live, contained.

TeX can read files, write files and loop forever, and escaping user text
(`derive.render.escape`) is only the first wall.  The second is how pdflatex is run:

- ``-no-shell-escape`` and ``shell_escape=f``: no ``\\write18``;
- ``openin_any=p``: kpathsea refuses absolute paths and ``..`` — with Debian's default
  (``a``) ``\\input{/etc/passwd}`` and ``\\openin`` read any file, even without shell
  escape; ``openout_any=p`` keeps writes inside the (temporary) working directory;
- ``-interaction=nonstopmode -halt-on-error``, standard input closed: an error ends the
  run instead of waiting for a person to type;
- a fresh temporary directory, removed afterwards; latexmk with ``-norc`` so no rc file
  can change the commands it runs;
- its own session (process group), killed as a whole when the time limit passes
  (``\\def\\x{\\x}\\x`` never stops), plus per-process CPU-time and file-size limits;
- a nonzero exit or a missing PDF is an error, never an empty result.
"""

import math
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from derive.errors import InputError, RenderError

__all__ = ["compile_pdf", "write_pdf", "pdflatex_available", "PDFLATEX_MISSING"]

PDFLATEX_MISSING = (
    "pdflatex not found: install TeX Live (texlive-latex-base texlive-latex-recommended"
    " texlive-latex-extra latexmk) to get PDFs; the .tex was still written"
)

# No file TeX writes (PDF, log, aux) may exceed this; an endless \message loop filling
# the log is stopped by SIGXFSZ long before the disk is full.
MAX_FILE_BYTES = 256 * 1024 * 1024

_JOB = "document"
_ENV = {
    "openin_any": "p",
    "openout_any": "p",
    "shell_escape": "f",
    # One log line per message, so the error and its "l.NN" line are not wrapped.
    "max_print_line": "10000",
}
# "! Undefined control sequence." and the "l.12 \foo" line that locates it.
_ERROR_LINE = re.compile(r"^! (.*)$")
_LOCATION_LINE = re.compile(r"^l\.\d+ ")


def pdflatex_available() -> bool:
    """Whether ``pdflatex`` is on the PATH (`compile_pdf` raises `RenderError` if not)."""
    return shutil.which("pdflatex") is not None


def compile_pdf(tex_source: str, *, timeout: float = 60, runs: int | None = None,
                env: dict[str, str] | None = None) -> bytes:
    """Compile a complete LaTeX document and return the PDF's bytes.

    With ``runs=None`` latexmk decides how many pdflatex passes cross-references need
    (plain pdflatex twice when latexmk is not installed); ``runs=N`` runs pdflatex exactly
    N times.  *timeout* (seconds) bounds the whole compilation; when it passes, every
    process started for it is killed.  *env* adds environment variables (e.g.
    ``SOURCE_DATE_EPOCH`` for reproducible PDFs); it cannot loosen the file-access limits.

    Raises `RenderError` with one line — the first LaTeX error and its ``l.NN`` line,
    the time limit, or `PDFLATEX_MISSING` — when no PDF comes out.
    """
    if not isinstance(tex_source, str):
        raise TypeError(f"compile_pdf() needs a str, not {type(tex_source).__name__}")
    if runs is not None and (isinstance(runs, bool) or not isinstance(runs, int) or runs < 1):
        raise InputError("runs", f"must be a positive integer or None, not {runs!r}")
    if not 0 < timeout < math.inf:
        raise InputError("timeout", f"must be a positive number of seconds, not {timeout!r}")
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        raise RenderError(PDFLATEX_MISSING)
    latexmk = shutil.which("latexmk") if runs is None else None

    flags = ["-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
    if latexmk is not None:
        commands = [[latexmk, "-pdf", "-norc", *flags, f"{_JOB}.tex"]]
    else:
        commands = [[pdflatex, *flags, f"{_JOB}.tex"]] * (runs or 2)

    env = {**os.environ, **(env or {}), **_ENV}
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="derive-latex-") as tmp:
        workdir = Path(tmp)
        (workdir / f"{_JOB}.tex").write_text(tex_source, encoding="utf-8")
        for command in commands:
            returncode = _run(command, workdir, env, deadline, timeout)
            if returncode != 0:
                raise RenderError(_failure_message(workdir, command, returncode))
        pdf = workdir / f"{_JOB}.pdf"
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise RenderError(_failure_message(workdir, commands[-1], 0))
        return pdf.read_bytes()


def write_pdf(tex_source: str, path, *, timeout: float = 60, runs: int | None = None,
              env: dict[str, str] | None = None) -> Path:
    """Compile *tex_source* and write the PDF to *path* atomically; return the path.

    The PDF is compiled first, then written to a temporary file beside *path* and
    renamed over it, so a failure (a LaTeX error, a full disk) leaves no file, or the
    previous one, behind — never a half-written PDF.
    """
    data = compile_pdf(tex_source, timeout=timeout, runs=runs, env=env)
    target = Path(path)
    directory = target.parent
    try:
        while True:
            temporary = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
            try:
                # os.open with 0o666 lets the umask decide the mode, as for any new file.
                fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                break
            except FileExistsError:
                continue
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def _run(command, workdir: Path, env, deadline: float, timeout: float) -> int:
    """Run one command in its own session under the limits; return its exit status."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RenderError(f"LaTeX timed out after {timeout:g} s and was stopped")
    # Per-process limits, applied by the shell just before exec and inherited by every
    # child (latexmk → pdflatex → mktexpk).  A shell rather than preexec_fn, because
    # preexec_fn may deadlock when the calling program has threads.  Soft limits only,
    # capped at the hard ones, so setting them can never fail; TeX cannot raise them.
    cpu_seconds = _capped(resource.RLIMIT_CPU, math.ceil(timeout) + 1)
    file_blocks = _capped(resource.RLIMIT_FSIZE, MAX_FILE_BYTES) // 512  # sh: 512-byte blocks
    script = f'ulimit -S -t {cpu_seconds} && ulimit -S -f {file_blocks} && exec "$@"'
    with open(workdir / "latex-output.txt", "wb") as output:
        process = subprocess.Popen(
            ["/bin/sh", "-c", script, "sh", *command],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,  # a file, not a pipe: a chatty loop cannot fill our memory
            stderr=subprocess.STDOUT,
            start_new_session=True,  # pid == process group id, for killpg below
        )
        try:
            _wait_unreaped(process, remaining)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise RenderError(f"LaTeX timed out after {timeout:g} s and was stopped") from None
        except BaseException:  # KeyboardInterrupt and the like: leave nothing running
            _kill_group(process)
            raise
        # Also after a normal exit: a child latexmk left behind dies with the group.
        _kill_group(process)
        return process.returncode


def _wait_unreaped(process: subprocess.Popen, timeout: float) -> None:
    """Wait for *process* to exit, but leave it a zombie (not reaped).

    While the zombie exists its pid, which is also its process group's id, cannot be
    reused, so the killpg() that follows can only hit processes started for this run.
    """
    if not hasattr(os, "waitid"):  # macOS: reaping is the only way to wait
        process.wait(timeout=timeout)
        return
    end = time.monotonic() + timeout
    delay = 0.0005
    while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise subprocess.TimeoutExpired(process.args, timeout)
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, 0.02)


def _capped(limit: int, wanted: int) -> int:
    _, hard = resource.getrlimit(limit)
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def _kill_group(process: subprocess.Popen) -> None:
    """SIGKILL every process in *process*'s group, then reap *process*."""
    if process.returncode is None:  # not reaped yet, so the group id is still ours
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # nothing left in the group
    process.wait()


def _failure_message(workdir: Path, command, returncode: int) -> str:
    """One line: the first LaTeX error with its location, or why there is no PDF."""
    log = workdir / f"{_JOB}.log"
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    for i, line in enumerate(lines):
        match = _ERROR_LINE.match(line)
        if match:
            error = match.group(1).strip().removeprefix("LaTeX Error: ")
            context = lines[i + 1].strip() if i + 1 < len(lines) else ""
            if error == "Emergency stop." and context.startswith("<*>"):
                error += " The document ended too early (no \\end{document})."
            elif error == "Emergency stop." and context.startswith("<read"):
                error += " TeX tried to read from the terminal (\\read)."
            message = "LaTeX error: " + error
            for following in lines[i + 1 : i + 30]:
                if _ERROR_LINE.match(following):
                    break  # the next error's location is not this one's
                if _LOCATION_LINE.match(following):
                    message += " (" + following.strip() + ")"
                    break
            return _one_line(message)
    program = Path(command[0]).name
    if returncode < 0:
        reason = f"{program} was killed by signal {signal.Signals(-returncode).name}"
        if -returncode in (signal.SIGXCPU, signal.SIGXFSZ):
            reason += " (CPU-time or file-size limit)"
    elif returncode:
        reason = f"{program} failed with exit status {returncode}"
    else:
        reason = f"{program} produced no PDF"
    tail = _last_line(workdir / "latex-output.txt")
    return _one_line(f"{reason}: {tail}" if tail else reason)


def _last_line(path: Path) -> str:
    lines = _tail_lines(path)
    return lines[-1] if lines else ""


def _tail_lines(path: Path) -> list[str]:
    """The non-blank lines of the last 4 KiB of *path* (the output may be huge)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 4096))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _one_line(message: str, limit: int = 300) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
