"""`make report`: one self-contained HTML page built from real demo runs (LoadGen, ResNet and SDXL
demos, performance runs) plus synthetic older results for history, checked as HTML and in a real
headless Chromium."""

from __future__ import annotations

import base64
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import detail_values, harness_env, run
from harness import registry, verdict
from harness.summary import milliseconds

EVIL = '<img src=x onerror="document.title=1">'  # a device name no page may execute


def demo(env: dict, tmp: Path, name: str, key: str, **extra) -> Path:
    where = tmp / f"{key}.run_dir"
    done = run([sys.executable, "-m", "harness", "demo", name, "--run-dir-file", str(where)],
               {**env, **{k: str(v) for k, v in extra.items()}})
    assert done.returncode == 0, done.stdout + done.stderr
    return Path(where.read_text().strip())


def older_run(template: Path, log_dir: Path, name: str, days_ago: int, values: dict, **config) -> Path:
    """A synthetic full (non-demo) run, judged by the harness's own verdict code, days before the
    template run; only result.json (the report links only to files that exist)."""
    result = json.loads((template / "result.json").read_text())
    bench = registry.get(name)
    rows = verdict.judge(bench, values)
    stamp = f"2026-11-{30 - days_ago:02d}T09:00:00Z"
    result = {**copy.deepcopy(result), "benchmark": bench.id, "name": bench.make_name, "demo": False,
              "started": stamp, "finished": stamp, "verdict": "PASS" if verdict.overall(bench, rows) else "FAIL",
              "targets": rows, "metrics": values, "samples": {"asked": bench.total_count, "partial": False,
                                                             "dataset_total": bench.total_count}}
    result.pop("demo_note", None)
    result.pop("verdict_on_slice", None)
    result["config"] = {**result["config"], "benchmark": bench.id, "n_count": bench.total_count, "mode": "accuracy",
                        "scenario": "Offline", "data_type": "float32", "device": "cuda:0", **config}
    folder = log_dir / bench.make_name / "Offline" / "float32" / f"{stamp.replace('-', '').replace(':', '')}-h{days_ago}"
    folder.mkdir(parents=True)
    result["run_dir"] = str(folder)
    (folder / "result.json").write_text(json.dumps(result))
    return folder


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    """Real demo runs (two ResNet accuracy, ResNet Offline and SingleStream performance, SDXL with
    its images) and older synthetic runs of ResNet and BERT."""
    tmp = tmp_path_factory.mktemp("report")
    env = harness_env(tmp, THREADS=1, DEMO=1)
    runs = {"resnet": demo(env, tmp, "resnet", "resnet"),
            "resnet_again": demo(env, tmp, "resnet", "resnet_again", N_COUNT=32),
            "offline": demo(env, tmp, "resnet", "offline", MODE="performance"),
            "singlestream": demo(env, tmp, "resnet", "singlestream", MODE="performance", SCENARIO="SingleStream"),
            "sdxl": demo(env, tmp, "stablediffusion", "sdxl")}
    log_dir = tmp / "logs"
    for days, value in ((9, 75.9), (6, 76.1), (3, 75.2)):
        older_run(runs["resnet"], log_dir, "resnet", days, {"acc": value})
    for days, value in ((8, 90.1), (2, 90.6)):
        older_run(runs["resnet"], log_dir, "bert", days, {"F1": value})
    runs["evil"] = older_run(runs["resnet"], log_dir, "bert", 1, {"F1": 90.7}, device=EVIL)
    return tmp, env, runs


@pytest.fixture(scope="module")
def report(logs):
    tmp, env, runs = logs
    out = tmp / "site" / "report.html"  # beside, not inside, LOG_DIR: links must climb out of site/
    done = run([sys.executable, "-m", "harness", "report", "--out", str(out)], env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"== report of 11 run(s) of 3 benchmark(s): {out}" in done.stdout
    return out, out.read_text(encoding="utf-8")


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def section(html: str, anchor: str) -> str:
    start = html.index(f'<section id="{anchor}">')
    return html[start:html.index("</section>", start)]


def test_the_page_is_self_contained_and_every_link_opens_a_file(report, logs):
    out, html = report
    found = tags(html)
    assert not [t for t, a in found if t == "link" or (t == "script" and "src" in a)]
    sources = [a["src"] for t, a in found if "src" in a]
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    hrefs = [a["href"] for t, a in found if t == "a" and "href" in a]
    anchors = {a["id"] for t, a in found if "id" in a}
    assert all(h[1:] in anchors for h in hrefs if h.startswith("#"))
    files = [h for h in hrefs if not h.startswith("#")]
    assert all(not re.match(r"[a-z]+:", h) and h.startswith("../logs/") for h in files)
    assert all((out.parent / unquote(h)).exists() for h in files)
    # every run directory and each of its LoadGen files is linked
    _, _, runs = logs
    for run_dir in runs.values():
        for name in ("result.json", "mlperf_log_detail.txt"):
            if (run_dir / name).is_file():
                assert os.path.relpath(run_dir / name, out.parent) in [unquote(h) for h in files]
    assert "<?xml" not in html and html.count("<svg") == 5  # 3 histories; ResNet's throughput and latencies


def test_the_summary_lists_every_benchmark_against_its_targets(report, logs):
    _, html = report
    _, _, runs = logs
    table = section(html, "summary")
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in table.split("<tr>")[2:]]
    assert {re.sub(r"<[^>]+>", "", r[0]) for r in rows} == set(registry.make_names())
    by_key = {(re.sub(r"<[^>]+>", "", r[0]), r[1], r[2]): r for r in rows if len(r) == 12}
    # newest per scenario and mode: the 32-sample demo, the performance runs beside it
    resnet = by_key[("resnet", "Offline", "accuracy")]
    assert resnet[4] == "acc &gt;= 75.6954" and resnet[7] == "PARTIAL (fail on n=32) (demo)"
    result = json.loads((runs["resnet_again"] / "result.json").read_text())
    assert resnet[10] == result["provenance"]["harness"]["commit"][:10] + (
        "+dirty" if result["provenance"]["harness"]["dirty"] else "")
    detail = detail_values(runs["singlestream"])
    single = by_key[("resnet", "SingleStream", "performance")]
    assert single[4] == f"LoadGen {detail['result_validity']}"
    assert single[5] == (f"{detail['result_qps_with_loadgen_overhead']:.6g} samples/s, "
                         f"p99 {milliseconds(detail['result_99.00_percentile_latency_ns'] / 1e6)} ms")
    # the newest synthetic BERT run, F1 90.7 of 90.874: one row per checker key
    bert = [r for r in rows if re.sub(r"<[^>]+>", "", r[0]) == "bert"]
    assert [(r[4], r[5], r[6], r[7]) for r in bert] == [("F1 &gt;= 89.96526", "90.7", "99.81", "PASS"),
                                                       ("F1 &gt;= 90.783126", "90.7", "99.81", "FAIL")]
    without = {re.sub(r"<[^>]+>", "", r[0]) for r in rows if r[1] == "no run yet"}
    assert without == set(registry.make_names()) - {"resnet", "stablediffusion", "bert"}


def test_performance_sections_show_the_detail_logs_percentiles(report, logs):
    _, html = report
    _, _, runs = logs
    resnet = section(html, "bench-resnet")
    for key, scenario in (("singlestream", "SingleStream"), ("offline", "Offline")):
        detail = detail_values(runs[key])
        row = re.search(rf"<tr><td>{scenario}/float32</td>(.*?)</tr>", resnet).group(1)
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        expected = [milliseconds(detail[f"result_{p}_percentile_latency_ns"] / 1e6)
                    for p in ("50.00", "90.00", "95.00", "97.00", "99.00", "99.90")]
        assert cells[0] == detail["result_validity"] and cells[3:9] == expected
        assert cells[2] == milliseconds(detail["result_min_latency_ns"] / 1e6)
    assert "throughput per scenario" in resnet and "latency percentiles" in resnet


def test_saved_images_are_embedded_small_with_escaped_captions(report, logs):
    from PIL import Image

    _, html = report
    _, _, runs = logs
    gallery = section(html, "bench-stablediffusion")
    pngs = sorted((runs["sdxl"] / "images").glob("*.png"))
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', gallery)
    assert len(uris) == len(pngs) == 2
    for uri in uris:
        assert max(Image.open(io.BytesIO(base64.b64decode(uri))).size) <= 256
    for line in (runs["sdxl"] / "images" / "captions.txt").read_text().splitlines():
        caption = line.split("  ", 1)[1]
        assert escape(caption[:100]) in gallery
    assert "Two dogs &amp;amp; a cat" in gallery  # the caption's own "&amp;" is text, not markup


def test_text_from_files_is_escaped(report):
    _, html = report
    assert EVIL not in html and escape(EVIL) in html


def test_history_has_every_accuracy_run_against_the_band(logs):
    from harness.report.collect import collect
    from harness.report.sections import history_data

    tmp, _, _ = logs
    data = collect(str(tmp / "logs"), demos=True)
    resnet = next(b for b in data.benchmarks if b.name == "resnet")
    (panel,) = history_data(resnet)["panels"]
    assert panel["bands"] == [{"key": "resnet", "lo": 76.46 * 0.99, "hi": None, "primary": True}]
    assert sorted((p["v"], p["kind"], p["pass"]) for p in panel["points"]) == [
        (0.0, "demo", False), (0.0, "demo", False), (75.2, "full", False), (75.9, "full", True), (76.1, "full", True)]
    real = collect(str(tmp / "logs"))  # DEMO unset: the demo points are gone, the full runs stay
    (panel,) = history_data(next(b for b in real.benchmarks if b.name == "resnet"))["panels"]
    assert sorted(p["v"] for p in panel["points"]) == [75.2, 75.9, 76.1] and real.hidden_demos == 5


def test_plots_are_redrawn_only_for_what_changed(logs, tmp_path):
    from harness.report import generate

    tmp, _, runs = logs
    log_dir = tmp_path / "logs"
    shutil.copytree(tmp / "logs", log_dir, ignore=shutil.ignore_patterns(".report-cache"))
    first = generate(str(log_dir), tmp_path / "a.html", demos=True)
    again = generate(str(log_dir), tmp_path / "b.html", demos=True)
    assert (first["plots_drawn"], first["plots_cached"]) == (5, 0)
    assert (again["plots_drawn"], again["plots_cached"]) == (0, 5)
    strip = re.compile(r"Generated [0-9-]+ [0-9:]+ UTC")
    assert strip.sub("", (tmp_path / "a.html").read_text()) == strip.sub("", (tmp_path / "b.html").read_text())
    older_run(runs["resnet"], log_dir, "bert", 5, {"F1": 89.0})  # one new BERT run: its history only
    third = generate(str(log_dir), tmp_path / "c.html", demos=True)
    assert (third["plots_drawn"], third["plots_cached"], third["runs"]) == (1, 4, 12)


def test_diff_adds_a_comparison_section(logs, tmp_path):
    import importlib.util

    tmp, env, runs = logs
    out = tmp_path / "diff.html"
    ids = f"{runs['resnet'].name},{runs['resnet_again'].name}"  # run ids as make summary shows them
    done = run([sys.executable, "-m", "harness", "report", "--out", str(out)], {**env, "DIFF": ids})
    assert done.returncode == 0, done.stderr
    diff = section(out.read_text(), "diff")
    if importlib.util.find_spec("harness.diff") is None:
        assert "harness.diff is not in this tree yet" in diff
    else:
        from harness.diff import compare, render

        compared = compare(runs["resnet"], runs["resnet_again"])
        assert f"<pre>{escape(render(compared))}</pre>" in diff
        assert compared["samples"]["paired"] == 32 and "<th>samples</th>" in diff
    bad = run([sys.executable, "-m", "harness", "report", "--out", str(out)], {**env, "DIFF": "only-one"})
    assert bad.returncode == 2
    assert "DIFF='only-one' is not valid: give two runs separated by a comma" in bad.stderr
    missing = run([sys.executable, "-m", "harness", "report", "--diff", f"{runs['resnet']},nowhere"], env)
    assert missing.returncode == 2 and "nowhere is neither a run directory" in missing.stderr


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI fails here instead")
    return path


def browse(page: Path, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                           "--v=0", *flags, page.as_uri()], capture_output=True, text=True, timeout=120)


def test_a_real_browser_renders_the_page_without_errors(report, tmp_path):
    from PIL import Image

    out, html = report
    shot = tmp_path / "report.png"
    done = browse(out, f"--screenshot={shot}", "--window-size=1280,2000")
    assert done.returncode == 0 and shot.is_file(), done.stderr
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2000)
    counts = image.getcolors(maxcolors=1280 * 2000)  # [(pixels, colour)]
    colours = len(counts)
    not_white = 1 - sum(n for n, c in counts if c == (255, 255, 255)) / (1280 * 2000)
    assert colours > 100 and not_white > 0.05, (colours, not_white)  # tables, verdict colours and plots drawn
    dom = browse(out, "--dump-dom", "--virtual-time-budget=5000")
    assert "<title>MLPerf Inference report</title>" in dom.stdout
    assert 'data-check="ok: 2 images, 5 plots"' in dom.stdout
    assert "Uncaught" not in dom.stderr and ":CONSOLE" not in dom.stderr
    # the page's own check is real: a broken image turns the title into an error
    broken = tmp_path / "broken.html"
    broken.write_text(html.replace("data:image/png;base64,iVBOR", "data:image/png;base64,AAAAA", 1))
    assert "<title>ERROR: 1 image(s) did not load</title>" in browse(broken, "--dump-dom").stdout


def test_make_report_runs_in_the_project_environment(logs, tmp_path):
    tmp, env, _ = logs
    done = run(["make", "-s", "report"], {**env, "LOG_DIR": str(tmp / "logs"), "DEMO": "0"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 demo run(s) hidden (DEMO=1 shows them)" in done.stdout
    page = (tmp / "logs" / "report.html").read_text()
    assert '<section id="bench-stablediffusion">' not in page and '<section id="bench-bert">' in page
    bad = run(["make", "-s", "report", "DEMO=perhaps"], env)
    assert bad.returncode != 0 and "DEMO='perhaps' is not valid" in bad.stderr


def test_the_run_path_never_imports_matplotlib(tmp_path):
    code = ("import sys; from harness import cli; rc = cli.main(['demo', 'resnet']) or cli.main(['summary']); "
            "print('loaded:', sorted(m for m in sys.modules if m.startswith('matplotlib'))); sys.exit(rc)")
    done = run([sys.executable, "-c", code], harness_env(tmp_path, N_COUNT=16))
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout


def test_bad_arguments_are_exit_2_naming_them(tmp_path):
    env = harness_env(tmp_path)
    folder = run([sys.executable, "-m", "harness", "report", "--out", str(tmp_path)], env)
    assert folder.returncode == 2 and f"--out '{tmp_path}' is not valid: it is a directory" in folder.stderr
    no_run = run([sys.executable, "-m", "harness", "report", str(tmp_path)], env)
    assert no_run.returncode == 2
    assert f"RUN_DIR='{tmp_path}' is not valid: give run directories that hold a readable result.json" in no_run.stderr
