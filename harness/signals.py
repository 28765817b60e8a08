"""Ctrl-C and SIGTERM during a LoadGen test (the runner's), which holds the main thread inside C++."""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalWatcher:
    """Ctrl-C and SIGTERM while LoadGen holds the main thread inside StartTest.

    Python runs signal handlers in the main thread between bytecodes, which never happens while
    StartTest runs, and the kernel may hand the signal to any thread (torch's among them). The C
    handler writes the signal's number to the wakeup fd whichever thread took it, so a watcher
    thread reading that socket sets ``stop``; the worker then answers the remaining queries empty,
    LoadGen returns and the run raises ``Interrupted``."""

    def __init__(self):
        self.stop = threading.Event()
        self.signal_name = ""
        self.active = threading.current_thread() is threading.main_thread()

    def __enter__(self):
        if not self.active:
            return self
        import socket

        self.reader, self.writer = socket.socketpair()
        self.writer.setblocking(False)
        self.previous_fd = signal.set_wakeup_fd(self.writer.fileno(), warn_on_full_buffer=False)
        self.previous = {s: signal.signal(s, self._noted) for s in STOP_SIGNALS}
        self.thread = threading.Thread(target=self._watch, name="harness-signals", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        if not self.active:
            return
        signal.set_wakeup_fd(self.previous_fd)
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        self.writer.send(b"\0")  # wakes the watcher, which then ends
        self.thread.join()
        self.reader.close()
        self.writer.close()

    def _noted(self, number, frame) -> None:  # the Python-level handler: never raises mid-test
        self._stop(number)

    def _stop(self, number: int) -> None:
        if not self.stop.is_set():
            self.signal_name = signal.Signals(number).name
            print(f"\n== {self.signal_name}: stopping after the batch in progress (finished samples are kept)",
                  flush=True)
            self.stop.set()

    def _watch(self) -> None:
        while True:
            data = self.reader.recv(64)
            for number in data:
                if number in STOP_SIGNALS:
                    self._stop(number)
            if not data or 0 in data:
                return
