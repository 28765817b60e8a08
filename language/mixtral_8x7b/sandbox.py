"""The bubblewrap sandbox MBXP runs model-generated programs in (mbxp.py says what is run).

Every compile and run is its own ``bwrap`` (package ``bubblewrap`` >= 0.8): new user, PID,
network (none), IPC and UTS namespaces, a new session, a cleared environment; read-only /usr
(+ the host's /bin, /lib...) and a few /etc files, size-capped tmpfs for /tmp, /dev/shm and the
working directory /mbxp (the program files bound read-only; a compile writes into a private host
directory bound there instead), nothing else of the host. prlimit inside caps processes (counted
per sandbox, its own user namespace; run by root, the sandbox is nobody, as root is exempt), file
size, CPU seconds, address space (not for node: V8 reserves far more than it uses) and core files.
Output goes to a file, not a pipe. When the program exits, or at the deadline, the sandbox's PID 1
ends, which kills whatever is left in it. Tools come from the sandbox's PATH (SANDBOX_PATH).

Without a working bwrap MBXP stops (SandboxUnavailable) unless MBXP_SANDBOX=none: programs then
run unsandboxed with the CPU, address-space and core limits only, and a warning goes to stderr.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.errors import HarnessError

MEMORY_BYTES = 4 << 30
SANDBOX_ENV = "MBXP_SANDBOX"  # "bwrap" (default) or "none"
PROCESSES = 32          # RLIMIT_NPROC per sandbox: processes and threads (node has ~7, g++ ~4)
FILE_BYTES = 16 << 20   # RLIMIT_FSIZE: the largest file a program, its output or g++ may write
TMPFS_BYTES = 32 << 20  # each of /mbxp, /tmp and /dev/shm in the sandbox
NOBODY = 65534          # uid/gid of the sandbox when the harness runs as root
WORKDIR = "/mbxp"
SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
_SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")  # read-only, or the host's links
_ETC = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "php")
_OPT_OUT = (f"or set {SANDBOX_ENV}=none to run the programs without a sandbox (unsafe: they can then "
            "read and write your files and use the network)")

# In the sandbox, under bwrap's PID 1: run the program, then fail if it left processes running.
_LEFTOVERS = r"""
"$@"; status=$?
tries=0
while :; do
  left=0
  for p in /proc/[0-9]*; do
    case ${p#/proc/} in 1|$$) continue;; esac
    read -r stat 2>/dev/null < "$p/stat" || continue
    state=${stat##*) }
    case $state in [ZX]*) ;; *) left=$((left + 1));; esac
  done
  [ "$left" = 0 ] && exit "$status"
  tries=$((tries + 1))
  [ "$tries" -ge 10 ] && break
  sleep 0.05
done
echo "mbxp: the program exited but left $left processes running" >&2
exit 125
"""


class SandboxUnavailable(HarnessError):
    """bwrap is missing or cannot build its sandbox here; the message says what to install."""


def parse_mode(raw: str) -> str:
    """MBXP_SANDBOX, a Mixtral option read with the run's configuration: ``bwrap`` or ``none``."""
    mode = raw.strip() or "bwrap"
    if mode not in ("bwrap", "none"):
        raise ValueError("use bwrap (the default: programs run in the sandbox) or none (unsafe: no sandbox)")
    return mode


def visible(path: str | None) -> bool:
    """A tool found on the sandbox's PATH that resolves inside what the sandbox mounts."""
    return path is not None and any(
        os.path.realpath(path).startswith(f"/{name}/") for name in _SYSTEM)


def _cpu_seconds(timeout: float) -> int:
    return max(1, int(timeout) + 1)


def _limits(cpu_seconds: float, memory: bool):
    """The unsandboxed (MBXP_SANDBOX=none) limits, applied in the child before exec."""
    def apply() -> None:
        cpu = _cpu_seconds(cpu_seconds)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    return apply


def _bwrap_command(bwrap: str, argv: list[str], work: Path, compiling: bool, timeout: float,
                   memory: bool, info_fd: int) -> list[str]:
    command = [bwrap, "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
               "--new-session", "--clearenv", "--setenv", "PATH", SANDBOX_PATH,
               "--setenv", "HOME", WORKDIR, "--setenv", "TMPDIR", "/tmp"]
    for name in _SYSTEM:
        path = Path("/", name)
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            command += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        command += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    size = str(TMPFS_BYTES)
    command += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
                "--remount-ro", "/dev", "--size", size, "--tmpfs", "/tmp"]
    if compiling:  # the compiler's output must outlive this sandbox
        command += ["--bind", str(work), WORKDIR]
    else:
        command += ["--size", size, "--tmpfs", WORKDIR]
        for file in sorted(work.iterdir()):
            command += ["--ro-bind", str(file), f"{WORKDIR}/{file.name}"]
    limits = [f"--nproc={PROCESSES}", f"--fsize={FILE_BYTES}", f"--cpu={_cpu_seconds(timeout)}", "--core=0"]
    if memory:
        limits.append(f"--as={MEMORY_BYTES}")
    return command + ["--remount-ro", "/", "--chdir", WORKDIR, "--info-fd", str(info_fd), "--",
                      "/bin/sh", "-c", _LEFTOVERS, "mbxp", "prlimit", *limits, "--", *argv]


def _kill_sandbox(process: subprocess.Popen, info: Path) -> None:
    """SIGKILL the sandbox's PID 1 (bwrap's child, named in its info file), which takes the whole
    PID namespace with it; bwrap exits once that is done. Failing that, bwrap's process group."""
    try:
        pid = int(json.loads(info.read_text() or "{}").get("child-pid", 0))
    except (OSError, ValueError, AttributeError):
        pid = 0
    if pid > 0:
        try:
            handle = os.pidfd_open(pid)
        except OSError:
            handle = None
        if handle is not None:
            try:  # only bwrap's own child: the info file is not proof enough
                stat = Path(f"/proc/{pid}/stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == process.pid:
                    signal.pidfd_send_signal(handle, signal.SIGKILL)
            except (OSError, ValueError, IndexError):
                pass
            finally:
                os.close(handle)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            pass
    if process.returncode is None:  # not reaped yet, so its group id is still bwrap's
        try:
            os.killpg(process.pid, signal.SIGKILL)  # --die-with-parent then kills PID 1
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()


def _tail(output: Path) -> str:
    with open(output, "rb") as stream:
        stream.seek(max(0, output.stat().st_size - 4096))
        return stream.read().decode(errors="replace")[-300:]


def execute(argv: list[str], home: Path, timeout: float, memory: bool, bwrap: str | None,
             compiling: bool = False) -> tuple[bool, str]:
    """Run ``argv`` on the files of ``home/work``; output goes to a file, so no pipe held open by
    a leftover process can keep this past ``timeout``."""
    work, output, info = home / "work", home / "output", home / "info"
    with open(output, "wb") as out, open(info, "wb") as info_file:
        if bwrap is None:
            process = subprocess.Popen(argv, cwd=work, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                       preexec_fn=_limits(timeout, memory), start_new_session=True,
                                       env={"PATH": os.environ.get("PATH", ""), "HOME": str(work)})
        else:
            as_root = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}
            command = _bwrap_command(bwrap, argv, work, compiling, timeout, memory, info_file.fileno())
            process = subprocess.Popen(command, cwd="/", stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                       pass_fds=(info_file.fileno(),), start_new_session=True,
                                       env={"PATH": SANDBOX_PATH}, **as_root)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        if bwrap is None:
            os.killpg(process.pid, signal.SIGKILL)  # the whole group: a program may have forked
            process.wait()
        else:
            _kill_sandbox(process, info)
        return False, "timed out"
    if process.returncode != 0:
        return False, f"exit {process.returncode}: {_tail(output)}"
    return True, "passed"


def home() -> tempfile.TemporaryDirectory:
    """A private host directory: ``work/`` (the program files, the compiler's output) is the
    sandbox's, ``output`` and ``info`` stay outside it. Run by root, the sandbox is nobody: it may
    pass through the directory and owns ``work/``."""
    home = tempfile.TemporaryDirectory(prefix="mbxp-", ignore_cleanup_errors=True)
    (Path(home.name) / "work").mkdir()
    if os.geteuid() == 0:
        os.chmod(home.name, 0o711)
        give(Path(home.name) / "work")
    return home


def give(path: Path) -> None:
    """Run by root, hand a path of ``work/`` to the sandbox's user (whatever the umask made it)."""
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


@functools.lru_cache(maxsize=None)
def _probe(bwrap: str, euid: int) -> str | None:
    """Why the sandbox cannot run here (``true`` inside it, built as for a program), or None."""
    del euid  # part of the cache key: who starts bwrap decides whether it can
    with home() as where:
        ok, text = execute(["true"], Path(where), 30, True, bwrap)
    return None if ok else text


def find_bwrap(mode: str) -> str | None:
    """The bwrap to run programs in, or None with MBXP_SANDBOX=none; SandboxUnavailable if the
    sandbox cannot run."""
    if mode == "none":
        return None
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("MBXP runs model-generated programs in a bubblewrap sandbox, but `bwrap` "
                                 "is not on PATH: install it (Debian/Ubuntu: `apt-get install bubblewrap`, "
                                 f"0.8 or newer), {_OPT_OUT}")
    why = _probe(os.path.realpath(bwrap), os.geteuid())
    if why is not None:
        raise SandboxUnavailable(
            f"MBXP runs model-generated programs in a bubblewrap sandbox, but {bwrap} cannot build it here "
            f"({why.strip()}). It needs bubblewrap 0.8 or newer (`apt-get install bubblewrap`), user "
            "namespaces (unprivileged ones when the harness runs as root: the sandbox is then nobody) and "
            f"util-linux's prlimit: provide them, {_OPT_OUT}")
    return bwrap


def warn_unsandboxed() -> None:
    print(f"warning: {SANDBOX_ENV}=none: MBXP programs run WITHOUT a sandbox (only CPU, address-space "
          "and core-file limits): they can read and write your files and use the network", file=sys.stderr)
