"""The only code that speaks LoadGen (the pinned ``mlcommons-loadgen`` wheel, imported as ``mlperf_loadgen``).

Contracts it drives, one implementation each per benchmark:

- Dataset (the QSL side): ``load(indices)`` / ``unload(indices)`` bring preprocessed samples in
  and out of memory; LoadGen calls them from its own thread, before and after issuing a set.
- Backend (the SUT side): ``predict(indices)`` returns one array per index, in order: a list of
  arrays, or one stacked array whose first axis is the sample (the fast path). It is called from
  one worker thread only, with at most ``batch_size`` indices. A ``continuous`` backend in a
  Server run gets each query through ``submit`` instead and completes each sample on its own.
- Codec: ``encode(array) -> bytes``; the same codec decodes the accuracy log for scoring.

One LoadGen test per process: LoadGen 4.1 counts user-conf loads per process and logs an
``error_invalid_config`` into every later test of the same process.
"""

from __future__ import annotations

import queue
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import progress
from .signals import SignalWatcher

SERVER_ACCURACY_QPS = 1e6  # accuracy runs are not about latency: issue everything at once


@dataclass(frozen=True)
class RunnerSettings:
    loadgen_model: str
    scenario: str
    mode: str  # "accuracy" | "performance"
    sample_count: int  # samples of this run (LoadGen numbers them 0..sample_count-1)
    performance_count: int
    batch_size: int
    outdir: Path
    user_conf: Path
    report_tokens: bool = False  # LLMs: n_tokens on every response, first token before completion
    audit_config: Path | None = None  # a compliance test's audit.config (in the run directory)
    audit_test: str = ""  # its test (TEST01..TEST06): the keys LoadGen 4.1.30 ignores there are set here
    continuous: bool = False  # hand each query to ``backend.submit`` as issued (a Server run of such a backend)


@dataclass
class RunStats:
    issued: int = 0
    completed: int = 0
    batches: int = 0
    errors: list[str] = field(default_factory=list)
    first_error: Exception | None = None  # the cause RunnerError names (a full disk is told apart by it)


class RunnerError(RuntimeError):
    pass


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived during the LoadGen test; it was stopped after the batch in progress."""


def build_test_settings(lg, settings: RunnerSettings):
    """TestSettings from the embedded v4.1 mlperf.conf, then our user.conf, then the run's needs."""
    ts = lg.TestSettings()
    rc = ts.FromConfig("", settings.loadgen_model, settings.scenario, True)
    if rc != 0:
        raise RunnerError(f"LoadGen rejected its embedded mlperf.conf for {settings.loadgen_model} (rc {rc})")
    rc = ts.FromConfig(str(settings.user_conf), settings.loadgen_model, settings.scenario, False)
    if rc != 0:
        why = "cannot be opened" if rc == -2 else "has a line LoadGen cannot parse (write 'key = value' "\
              "with spaces around '=', comments on their own line)"
        raise RunnerError(f"LoadGen user conf {settings.user_conf} {why} (rc {rc})")
    ts.scenario = getattr(lg.TestScenario, settings.scenario)
    ts.mode = lg.TestMode.AccuracyOnly if settings.mode == "accuracy" else lg.TestMode.PerformanceOnly
    if settings.mode == "accuracy" and settings.scenario == "Server":
        ts.server_target_qps = SERVER_ACCURACY_QPS
    if 0 < settings.sample_count < ts.performance_sample_count_override:
        ts.performance_sample_count_override = settings.sample_count
    return ts


def samples_to_issue(ts, settings: RunnerSettings) -> int | None:
    """What an accuracy run issues: every sample once, MultiStream's last query filled up with
    repeats; None in performance mode, where LoadGen decides as it goes."""
    if settings.mode != "accuracy":
        return None
    if settings.scenario == "MultiStream":
        per_query = ts.multi_stream_samples_per_query
        return -(-settings.sample_count // per_query) * per_query
    return settings.sample_count


class _Worker:
    """Takes issued queries off LoadGen's thread, batches them and completes them."""

    def __init__(self, lg, backend, codec, settings: RunnerSettings, stats: RunStats, stop: threading.Event,
                 shown: progress.Progress):
        self.lg, self.backend, self.codec, self.settings, self.stats = lg, backend, codec, settings, stats
        self.stop_requested = stop
        self.shown = shown  # updated once per batch, from this thread only
        self.inbox: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="harness-sut", daemon=True)

    def issue(self, ids, indices) -> None:
        """LoadGen's issue callback (a FastSUT: plain lists of response ids and sample indices)."""
        self.inbox.put((ids, indices))

    def stop(self) -> None:
        self.inbox.put(None)
        self.thread.join()

    def _loop(self) -> None:
        size, cancelled = self.settings.batch_size, False
        while True:
            try:  # a continuous backend holds samples in flight: on Ctrl-C it must end them (cancel)
                item = self.inbox.get(timeout=0.2 if self.settings.continuous else None)
            except queue.Empty:
                item = ()
            if self.settings.continuous and self.stop_requested.is_set() and not cancelled:
                cancelled = True
                self.backend.cancel()
            if item is None:
                return
            if not item:
                continue
            ids, indices = list(item[0]), list(item[1])
            if self.settings.continuous:
                self._submit(ids, indices)
                continue
            while len(ids) < size:  # Server/SingleStream: gather what is already waiting
                try:
                    more = self.inbox.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self.inbox.put(None)
                    break
                ids.extend(more[0])
                indices.extend(more[1])
            for start in range(0, len(ids), size):
                self._complete(ids[start:start + size], indices[start:start + size])

    def _complete(self, ids: list[int], indices: list[int]) -> None:
        self.stats.issued += len(ids)
        if self.stop_requested.is_set() or self.stats.errors:  # the run is lost: answer LoadGen, compute nothing
            self._send(ids, np.zeros(0, np.uint8), 0, None)
            return
        reported: set[int] = set()  # positions whose first token the backend reported while generating
        streams = self.settings.report_tokens and self.settings.scenario != "Offline"
        if streams:
            self.backend.on_first_token = lambda position, tokens: self._first_token(ids, position, tokens, reported)
        try:
            outputs = self.backend.predict(indices)
            if len(outputs) != len(ids):
                raise RunnerError(f"backend returned {len(outputs)} outputs for {len(ids)} samples")
            buffer, sizes = self.codec.encode_batch(outputs)
        except Exception as exc:  # noqa: BLE001 - LoadGen must get its completions or it waits forever
            self.stats.errors.append(traceback.format_exc())
            self.stats.first_error = self.stats.first_error or exc
            outputs, buffer, sizes = None, np.zeros(0, np.uint8), 0
        finally:
            if streams:
                self.backend.on_first_token = None
        tokens = self._send(ids, buffer, sizes, outputs, reported)
        self.stats.completed += len(ids)
        self.stats.batches += 1
        self.shown.update(len(ids), tokens)

    def _submit(self, ids: list[int], indices: list[int]) -> None:
        """A query to a continuous backend: each sample completes when the backend says it is done,
        from the backend's thread (the only one that then updates the counts and the progress line)."""
        self.stats.issued += len(ids)
        if self.stop_requested.is_set() or self.stats.errors:
            self._send(ids, np.zeros(0, np.uint8), 0, None)
            return
        reported: set[int] = set()

        def first_token(position: int, tokens) -> None:
            if self.settings.report_tokens:
                self._first_token(ids, position, tokens, reported)

        def done(position: int, output) -> None:
            try:
                if isinstance(output, BaseException):
                    raise output
                buffer, sizes = self.codec.encode_batch([output])
            except Exception as exc:  # noqa: BLE001 - LoadGen must get its completion
                self.stats.errors.append("".join(traceback.format_exception(exc)))
                self.stats.first_error = self.stats.first_error or exc
                output, buffer, sizes = None, np.zeros(0, np.uint8), 0
            tokens = self._send([ids[position]], buffer, sizes, None if output is None else [output],
                                {0} if position in reported else set())
            self.stats.completed += 1
            self.shown.update(1, tokens)

        try:
            self.backend.submit(indices, first_token, done)
        except Exception as exc:  # noqa: BLE001
            for position in range(len(ids)):
                done(position, exc)

    def _first_token(self, ids: list[int], position: int, tokens, reported: set[int]) -> None:
        """The backend's ``on_first_token``: LoadGen copies the bytes inside FirstTokenComplete."""
        if position in reported:
            return
        reported.add(position)
        first = np.ascontiguousarray(np.asarray(tokens)[:1], dtype=self.codec.dtype)
        self.lg.FirstTokenComplete([self.lg.QuerySampleResponse(ids[position], first.ctypes.data, first.nbytes)])

    def _send(self, ids: list[int], buffer: np.ndarray, sizes: int | list[int], outputs,
              reported: set[int] = frozenset()) -> int:
        """Complete a batch; ``buffer`` holds every payload back to back and must (and does) stay
        alive until QuerySamplesComplete returns, since LoadGen copies the bytes inside that call.
        Returns the tokens reported to LoadGen (0 unless ``report_tokens``)."""
        lg = self.lg
        response = lg.QuerySampleResponse
        base = buffer.ctypes.data if buffer.size else 0
        if isinstance(sizes, int) and not self.settings.report_tokens:
            if sizes:
                responses = [response(i, a, sizes) for i, a in zip(ids, range(base, base + sizes * len(ids), sizes))]
            else:
                responses = [response(i, 0, 0) for i in ids]
            lg.QuerySamplesComplete(responses)
            return 0
        sizes_list = [sizes] * len(ids) if isinstance(sizes, int) else sizes
        itemsize = np.dtype(self.codec.dtype).itemsize
        responses, offset, tokens = [], 0, 0
        for i, (sample_id, size) in enumerate(zip(ids, sizes_list)):
            address = base + offset if size else 0
            offset += size
            if not self.settings.report_tokens:
                responses.append(response(sample_id, address, size))
                continue
            # LoadGen rejects fewer than 2 tokens under token latencies (an error per sample)
            n_tokens = max(int(np.size(outputs[i])), 2) if outputs is not None else 2
            if self.settings.scenario != "Offline" and i not in reported:  # LoadGen needs it before completion
                first = min(size, itemsize)
                lg.FirstTokenComplete([response(sample_id, address if first else 0, first)])
            responses.append(response(sample_id, address, size, n_tokens))
            tokens += n_tokens
        lg.QuerySamplesComplete(responses)
        return tokens


def run(dataset, backend, codec, settings: RunnerSettings) -> RunStats:
    """Run one LoadGen test; the four LoadGen logs land in ``settings.outdir``.

    Raises RunnerError when the backend failed on any sample (after LoadGen has finished, so the
    logs are complete), so a failing model never yields a verdict; ``Interrupted`` after a SIGINT
    or SIGTERM (see SignalWatcher).
    """
    import mlperf_loadgen as lg

    outdir = Path(settings.outdir)
    outdir.mkdir(parents=True, exist_ok=True)  # LoadGen does not create it and then silently runs nothing
    ts = build_test_settings(lg, settings)
    if settings.audit_test:
        from .compliance.audit import apply_ignored_keys

        apply_ignored_keys(ts, settings.audit_test, settings.loadgen_model, settings.scenario)
    log_output = lg.LogOutputSettings()
    log_output.outdir = str(outdir)
    log_output.copy_summary_to_stdout = False
    log_settings = lg.LogSettings()
    log_settings.log_output = log_output
    log_settings.enable_trace = False  # a trace costs ~270 B per sample and slows the run
    no_audit = outdir / "audit.config.absent"  # a stray audit.config in the CWD must not change the run
    if settings.audit_config is None and no_audit.exists():
        raise RunnerError(f"{no_audit} exists; remove it (the harness passes this name to disable audits)")
    audit = settings.audit_config or no_audit  # only a compliance run names a real one

    stats = RunStats()
    total = samples_to_issue(ts, settings)
    with SignalWatcher() as signals, progress.bar("LoadGen", total, tokens=settings.report_tokens) as shown:
        worker = _Worker(lg, backend, codec, settings, stats, signals.stop, shown)
        worker.thread.start()
        sut = lg.ConstructFastSUT(worker.issue, lambda: None)
        qsl = lg.ConstructQSL(settings.sample_count, min(settings.performance_count, settings.sample_count),
                              dataset.load, dataset.unload)
        try:
            lg.StartTestWithLogSettings(sut, qsl, ts, log_settings, str(audit))
        finally:
            lg.DestroyQSL(qsl)
            lg.DestroyFastSUT(sut)
            worker.stop()
    if signals.stop.is_set():
        raise Interrupted(f"{signals.signal_name} during the LoadGen test")
    if stats.errors:
        raise RunnerError(f"the backend failed on a batch (the run stopped computing there):\n{stats.errors[0]}"
                          ) from stats.first_error
    return stats
