"""A Debian root booted with systemd as PID 1 in systemd-nspawn, and commands run inside it.

--private-network gives the container a network namespace with only its loopback: nothing it
sends leaves. --register=no and --keep-unit: no machined is needed on the host. Commands enter
the container's namespaces with nsenter, so they talk to its systemd and see its files."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Machine:
    def __init__(self, root: Path, console: Path) -> None:
        self.root = root
        self._console = console.open("wb")
        self._nspawn = subprocess.Popen(
            [
                "systemd-nspawn",
                "--boot",
                "--private-network",
                "--register=no",
                "--keep-unit",
                "--link-journal=no",
                f"--machine=gobo-test-{os.getpid()}",  # unique: runs may overlap
                "--console=read-only",
                f"--directory={root}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
        )
        self.leader = self._find_leader()
        self.wait_for("test -S /run/systemd/private", guard=60)  # its manager is listening

    def _find_leader(self, guard: float = 60) -> int:
        """The container's PID 1 once it runs systemd (so its root is the container's): the
        nspawn child whose own PID namespace calls it 1."""
        end = time.monotonic() + guard
        while time.monotonic() < end:
            if self._nspawn.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited {self._nspawn.returncode}")
            for child in Path(f"/proc/{self._nspawn.pid}/task").glob("*/children"):
                for pid in child.read_text().split():
                    status = Path(f"/proc/{pid}/status").read_text()
                    nspid = next(line for line in status.splitlines() if line.startswith("NSpid:"))
                    comm = Path(f"/proc/{pid}/comm").read_text().strip()
                    if nspid.split()[-1] == "1" and comm == "systemd":
                        return int(pid)
            time.sleep(0.2)
        raise RuntimeError("no container init appeared")

    def run(
        self,
        command: str | list[str],
        *,
        user: str | None = None,
        input: bytes | None = None,
        check: bool = True,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Runs a shell command line (or argv) inside, as root or as USER with their groups."""
        argv = ["sh", "-c", command] if isinstance(command, str) else command
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        full = [
            "nsenter",
            f"--target={self.leader}",
            "--all",
            "--root",
            "--wd",
            "--",
            "env",
            "-i",
            f"PATH={PATH}",
            "LANG=C.UTF-8",
            "HOME=/root",
            *argv,
        ]
        result = subprocess.run(
            full, input=input, capture_output=True, timeout=timeout, check=False
        )
        done = subprocess.CompletedProcess(
            argv,
            result.returncode,
            result.stdout.decode(errors="replace"),
            result.stderr.decode(errors="replace"),
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"{shlex.join(argv)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
            )
        return done

    def show(self, unit: str, *properties: str) -> dict[str, str]:
        """`systemctl show` properties of a unit."""
        out = self.run(["systemctl", "show", unit, "-p", ",".join(properties)]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_for(self, command: str, guard: float = 180, **kwargs) -> str:
        """Reruns COMMAND until it succeeds; the guard only stops a hang."""
        end = time.monotonic() + guard
        while True:
            result = self.run(command, check=False, **kwargs)
            if result.returncode == 0:
                return result.stdout
            if time.monotonic() > end:
                raise AssertionError(f"still failing after {guard} s: {command}\n{result.stderr}")
            time.sleep(0.5)

    def power_off(self) -> None:
        """SIGTERM asks nspawn for a clean shutdown of the container; SIGKILL if it hangs."""
        if self._nspawn.poll() is None:
            self._nspawn.send_signal(signal.SIGTERM)
            try:
                self._nspawn.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self._nspawn.kill()
                self._nspawn.wait()
        self._console.close()


def unpack(tarball: Path, root: Path) -> Path:
    root.mkdir()
    subprocess.run(["tar", "-C", str(root), "-xf", str(tarball)], check=True)
    return root


def copy_checkout(repo: Path, dest: Path) -> None:
    """The checkout as a technician would copy it to the Pi, without local build output."""
    skip = shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", "demo"
    )
    shutil.copytree(repo, dest, ignore=skip, symlinks=True)
    os.chmod(dest, 0o755)
