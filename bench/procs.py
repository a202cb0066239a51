"""Processes and /proc for bench/run: starting and stopping what a run needs, and reading a
process tree's CPU time and memory."""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class Procs:
    """Every long-running process this run started; `stop_all` ends them (and their groups)."""

    def __init__(self, logdir):
        self.logdir = logdir
        self.started = []  # (name, Popen)

    def start(self, name, argv, cpus=None, env=None):
        argv = [str(a) for a in argv]
        if cpus is not None:
            argv = ["taskset", "-c", cpus] + argv
        out = open(self.logdir / f"{name}.out", "wb")
        err = open(self.logdir / f"{name}.err", "wb")
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True, preexec_fn=die_with_parent,
        )
        self.started.append((name, proc))
        return proc

    def stop(self, proc, timeout=15):
        """SIGTERM to the process group, SIGKILL if it lingers; returns the exit code."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log(f"pid {proc.pid} ignored SIGTERM for {timeout}s; killing")
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        return proc.returncode

    def stop_all(self):
        for _, proc in reversed(self.started):
            self.stop(proc)
        self.started.clear()


def die_with_parent():
    """In the child before exec: get SIGTERM if bench/run itself dies (even by SIGKILL)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def wait_for_line(proc, path, prefix, timeout=60):
    """Waits until the process's stdout file has a line starting with `prefix`; returns it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith(prefix):
                return line
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    err = path.with_suffix(".err")
    tail = err.read_text(errors="replace")[-2000:] if err.exists() else ""
    raise RuntimeError(f"{path.stem} did not print {prefix!r} (exit {proc.poll()}):\n{tail}")


def tree(pid):
    """`pid` and all its descendants (LiteLLM may fork workers)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLK_TCK


def status_kib(pids, field):
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def reset_peak_rss(pids):
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, headers=None, timeout=5):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()
