"""Conversions in a child process that exits, under a memory limit of its own.

Decoding and converting one drawing takes hundreds of MB for a moment (a 40 MP PNG about
400 MB), and the allocator keeps such a peak for the life of the process: in the daemon it would
stay for months, over the unit's MemoryMax. So the daemon's library runs each conversion as
`python -m artwork.isolated`: a fresh process with RLIMIT_DATA at `[artwork]
conversion_memory_mb`, an OOM score that makes the kernel pick it before the daemon, a time
limit, and no way to outlive the daemon. One runs at a time (inbox and patch changes alike), so
the unit's MemoryMax covers the daemon and one conversion. The child writes its files and
answers with the Conversion as JSON on stdout (nothing a child that read untrusted input sends
is unpickled). A conversion that runs out of memory is refused in plain words; the daemon never
holds a decoded image.
"""
from __future__ import annotations

import ctypes
import json
import os
import pickle
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artwork.contract import Conversion, RejectedDrawing, step_function
from artwork.settings import Settings

TIMEOUT_S = 600.0
CHILD_ENV = {
    # One malloc arena and no BLAS threads: the same work in a smaller, predictable footprint.
    "MALLOC_ARENA_MAX": "1",
    # A freed picture's memory stays in the heap for the next one (the child exits soon):
    # taking fresh pages for each picture instead cost a 12 MP photo's conversion half its
    # time, the kernel zeroing 1 GB of them. Only the decoded photo is mapped on its own.
    "MALLOC_MMAP_THRESHOLD_": "33554432",
    "MALLOC_TRIM_THRESHOLD_": "1073741824",
    # ... and in huge pages where the kernel has them: a 2 MB page faults in once, not 512
    # times (45,000 faults a 12 MP conversion otherwise).
    "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    # OpenCV's workers sleep between jobs instead of spinning: the conversion's own threads
    # need those cores (a 12 MP photo's conversion: 60 ms of CPU and 20 ms sooner).
    "OPENCV_THREAD_POOL_ACTIVE_WAIT_WORKER": "0",
    "OPENCV_THREAD_POOL_ACTIVE_WAIT_MAIN": "0",
}
_PR_SET_PDEATHSIG = 1
_ONE_AT_A_TIME = threading.Lock()


class ConversionFailed(RuntimeError):
    """The converter failed (a bug or a crash): neither the drawing's fault nor the site's."""


def in_child(
    step: str,
    source: Path,
    out_dir: Path,
    targets: Sequence[Any],
    settings: Settings,
    *more: Any,
) -> Conversion:
    """The conversion `step` (artwork.contract) in a child process; the same
    Conversion or the same RejectedDrawing / OSError, MemoryError as a RejectedDrawing in
    plain words."""
    limit_mb = settings.conversion_memory_mb
    request = pickle.dumps((step, (Path(source), Path(out_dir), tuple(targets), settings, *more)))
    try:
        with _ONE_AT_A_TIME:
            done = subprocess.run(
                [sys.executable, "-m", "artwork.isolated", str(limit_mb * 1024 * 1024),
                 str(os.getpid())],
                input=request, capture_output=True, timeout=TIMEOUT_S,
                env={**os.environ, **CHILD_ENV},
            )
    except subprocess.TimeoutExpired:
        raise RejectedDrawing(
            f"took longer than {TIMEOUT_S / 60:g} minutes to convert: send a smaller image"
        ) from None
    too_big = (f"too large to convert within the {limit_mb} MB the service gives a conversion: "
               "send a smaller image (12 megapixels is plenty)")
    if done.returncode == -signal.SIGKILL:  # the kernel's OOM killer picks the child first
        raise RejectedDrawing(too_big)
    try:
        reply = json.loads(done.stdout)
    except ValueError:
        last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        how = (f"signal {signal.Signals(-done.returncode).name}" if done.returncode < 0
               else f"exit {done.returncode}")
        raise ConversionFailed(f"the converter process ended with {how}: {last[0]}") from None
    kind = reply.get("kind")
    if kind == "ok":
        return Conversion(
            files={key: Path(path) for key, path in reply["files"].items()},
            palette=[(str(colour), float(weight)) for colour, weight in reply["palette"]],
            style=str(reply["style"]),
            warnings=list(reply["warnings"]),
            manifest=reply["manifest"],
        )
    if kind == "rejected":
        raise RejectedDrawing(reply["reason"])
    if kind == "memory":
        raise RejectedDrawing(too_big)
    if kind == "oserror":
        raise OSError(reply["errno"], reply["strerror"], reply["filename"])
    raise ConversionFailed(f"{reply.get('type', 'error')}: {reply.get('message', '')}")


def _limit_self(data_bytes: int, parent: int) -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (data_bytes, data_bytes))
    try:  # the kernel's OOM killer takes this process before the daemon
        with open("/proc/self/oom_score_adj", "w") as handle:
            handle.write("1000")
    except OSError:
        pass
    try:  # die with the daemon's worker thread, never linger as an orphan
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        sys.exit("the daemon is gone")


def _run(request: bytes) -> dict[str, Any]:
    import cv2  # the child's only: the daemon never loads OpenCV

    step, args = pickle.loads(request)  # from our parent, which is trusted
    try:
        result = step_function(step)(*args)
    except RejectedDrawing as exc:
        return {"kind": "rejected", "reason": exc.reason}
    except MemoryError:
        return {"kind": "memory"}
    except cv2.error as exc:  # OpenCV's own allocation failure under the limit
        if "Insufficient memory" in str(exc):
            return {"kind": "memory"}
        return {"kind": "error", "type": "cv2.error", "message": str(exc)}
    except OSError as exc:
        return {"kind": "oserror", "errno": exc.errno, "strerror": exc.strerror,
                "filename": str(exc.filename) if exc.filename else None}
    except Exception as exc:
        return {"kind": "error", "type": type(exc).__name__, "message": str(exc)}
    return {
        "kind": "ok",
        "files": {key: str(path) for key, path in result.files.items()},
        "palette": [[colour, float(weight)] for colour, weight in result.palette],
        "style": result.style,
        "warnings": list(result.warnings),
        "manifest": result.manifest,
    }


def main() -> None:
    _limit_self(int(sys.argv[1]), int(sys.argv[2]))
    request = sys.stdin.buffer.read()
    answer = sys.stdout
    sys.stdout = sys.stderr  # whatever the converter prints must not mix into the answer
    reply = _run(request)
    answer.write(json.dumps(reply, default=str))
    answer.flush()


if __name__ == "__main__":
    main()
