"""Artifacts: fetched from a real HTTP server on 127.0.0.1, verified, unpacked; manual and offline cases."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile

import pytest
from http_fixture import serve

from harness import artifacts
from harness.declaration import Artifact, Benchmark, Target
from harness.errors import MissingArtifactError


def targz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def bench_with(*arts: Artifact) -> Benchmark:
    return Benchmark(id="toy", aliases=(), loadgen_model="toy", domain="vision", dataset="x:y", backend="x:y",
                     codec="x:y", metric="x:y", targets={"toy": (Target("acc", 1.0),)}, primary="toy",
                     total_count=1, performance_count=1, requirements="r.txt", artifacts=arts)


WEIGHTS = b"weights" * 5000
LABELS = b"a.JPEG 1\nb.JPEG 2\n"
ARCHIVE = targz({"val.txt": LABELS, "other.txt": b"x"})
IMAGES = targz({"a.JPEG": b"jpeg-a", "b.JPEG": b"jpeg-b"})


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_fetch_verify_extract_and_unpack_then_reuse(tmp_path):
    files = {"w.pt": WEIGHTS, "labels.tar.gz": ARCHIVE, "images.tar": IMAGES}
    with serve(files) as server:
        bench = bench_with(
            Artifact("weights", "models/w.pt", sha256=sha(WEIGHTS), sources=(server.url("gone.pt"), server.url("w.pt"))),
            Artifact("val_map", "set/labels.tar.gz", md5=hashlib.md5(ARCHIVE).hexdigest(),
                     sources=(server.url("labels.tar.gz"),), member=("val.txt", "set/val_map.txt")),
            Artifact("images", "set/images.tar", sha256=sha(IMAGES), sources=(server.url("images.tar"),),
                     unpack="set/val"),
        )
        got = artifacts.resolve_all(bench, str(tmp_path), offline=False, manifest={})
        assert (tmp_path / "models/w.pt").read_bytes() == WEIGHTS
        assert got["weights"].digests == {"sha256": sha(WEIGHTS)}  # the 404 source was skipped
        assert got["val_map"].path.read_bytes() == LABELS
        assert got["val_map"].digests["sha256"] == sha(LABELS)
        assert sorted(p.name for p in got["images"].path.iterdir()) == [".unpacked", "a.JPEG", "b.JPEG"]
        requests = len(server.requests)
        again = artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest={})
        assert len(server.requests) == requests  # everything present: no connection at all
        assert again["weights"].path == got["weights"].path


def test_a_member_of_a_zip_archive_such_as_a_wheel(tmp_path):
    import zipfile

    wheel = tmp_path / "pkg.whl"
    with zipfile.ZipFile(wheel, "w") as bundle:
        bundle.writestr("pkg/_static/data.zip", b"payload")
    data = wheel.read_bytes()
    with serve({"pkg.whl": data}) as server:
        bench = bench_with(Artifact("punkt", "assets/pkg.whl", sha256=sha(data), sources=(server.url("pkg.whl"),),
                                    member=("pkg/_static/data.zip", "assets/data.zip")))
        got = artifacts.resolve_all(bench, str(tmp_path / "d"), offline=False, manifest={})
    assert got["punkt"].path.read_bytes() == b"payload" and got["punkt"].digests["sha256"] == sha(b"payload")


def test_a_declared_member_checksum_is_checked_after_extraction_and_on_reuse(tmp_path):
    import zipfile

    wheel = tmp_path / "pkg.whl"
    with zipfile.ZipFile(wheel, "w") as bundle:
        bundle.writestr("pkg/vocab.txt.gz", b"vocab")
    data = wheel.read_bytes()
    with serve({"pkg.whl": data}) as server:
        def declared(member_sha):
            return bench_with(Artifact("vocab", "assets/pkg.whl", sha256=sha(data), sources=(server.url("pkg.whl"),),
                                       member=("pkg/vocab.txt.gz", "assets/vocab.txt.gz"), member_sha256=member_sha))

        with pytest.raises(MissingArtifactError, match="is it the right archive"):
            artifacts.resolve_all(declared("0" * 64), str(tmp_path / "d"), offline=False, manifest={})
        assert not (tmp_path / "d/assets/vocab.txt.gz").exists()  # a wrong member is not left behind
        got = artifacts.resolve_all(declared(sha(b"vocab")), str(tmp_path / "d"), offline=False, manifest={})
        assert got["vocab"].digests["sha256"] == sha(b"vocab")
    (tmp_path / "d/assets/vocab.txt.gz").write_bytes(b"edited")
    with pytest.raises(MissingArtifactError, match="sha256 differs"):
        artifacts.resolve_all(declared(sha(b"vocab")), str(tmp_path / "d"), offline=True, manifest={})


def test_a_git_blob_id_verifies_a_file_as_git_names_it(tmp_path):
    import subprocess

    content = b"mu and sigma\n" * 100
    (tmp_path / "val2014.npz").write_bytes(content)
    blob = subprocess.run(["git", "hash-object", str(tmp_path / "val2014.npz")], capture_output=True, text=True,
                          check=True).stdout.strip()
    with serve({"val2014.npz": content}) as server:
        good = bench_with(Artifact("statistics", "s/val2014.npz", git_blob=blob, sources=(server.url("val2014.npz"),)))
        got = artifacts.resolve_all(good, str(tmp_path / "d"), offline=False, manifest={})
        assert got["statistics"].digests == {"git_blob": blob}
        bad = bench_with(Artifact("statistics", "s/val2014.npz", git_blob="0" * 40, sources=(server.url("val2014.npz"),)))
        with pytest.raises(MissingArtifactError, match=f"git_blob differs: expected {'0' * 40}, actual {blob}"):
            artifacts.resolve_all(bad, str(tmp_path / "e"), offline=False, manifest={})
    assert not (tmp_path / "e/s/val2014.npz").exists()


def test_a_corrupt_local_file_is_refused_and_named(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models/w.pt").write_bytes(b"tampered")
    bench = bench_with(Artifact("weights", "models/w.pt", sha256=sha(WEIGHTS), sources=("http://127.0.0.1:9/w",)))
    with pytest.raises(MissingArtifactError) as err:
        artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest={})
    assert "weights" in str(err.value) and "Delete the file to fetch it again" in str(err.value)


def test_offline_lists_every_missing_artifact_and_opens_nothing(tmp_path):
    with serve({"w.pt": WEIGHTS}) as server:
        bench = bench_with(
            Artifact("weights", "models/w.pt", sha256=sha(WEIGHTS), sources=(server.url("w.pt"),)),
            Artifact("images", "set/images.tar", manual="get images.tar by hand and put it at {path}", unpack="set/val"))
        with pytest.raises(MissingArtifactError) as err:
            artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest={})
        assert server.connections == 0
    message = str(err.value)
    assert "2 artifact(s) not available" in message and "[OFFLINE=1]" in message
    assert f"put it at {tmp_path / 'set/images.tar'}" in message
    assert err.value.exit_code == 3


def test_a_checksum_mismatch_from_the_server_leaves_nothing_behind(tmp_path):
    with serve({"w.pt": b"not the weights"}) as server:
        bench = bench_with(Artifact("weights", "models/w.pt", sha256=sha(WEIGHTS), sources=(server.url("w.pt"),)))
        with pytest.raises(MissingArtifactError, match="sha256"):
            artifacts.resolve_all(bench, str(tmp_path), offline=False, manifest={})
    assert list((tmp_path / "models").iterdir()) == []


def test_a_manifest_replaces_declared_artifacts_and_is_verified(tmp_path):
    (tmp_path / "w.pt").write_bytes(WEIGHTS)
    manifest_path = tmp_path / "manifest.json"
    manifest_path.write_text(json.dumps({"artifacts": {"weights": {"path": "w.pt", "sha256": sha(WEIGHTS)}}}))
    bench = bench_with(Artifact("weights", "models/w.pt", sha256="0" * 64, sources=("http://127.0.0.1:9/w",)))
    got = artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest=artifacts.load_manifest(str(manifest_path)))
    assert got["weights"].origin == "manifest" and got["weights"].path == tmp_path / "w.pt"
    (tmp_path / "w.pt").write_bytes(b"changed")
    with pytest.raises(MissingArtifactError, match="weights"):
        artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest=artifacts.load_manifest(str(manifest_path)))


def test_only_the_named_artifacts_are_resolved(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models/w.pt").write_bytes(WEIGHTS)
    bench = bench_with(Artifact("weights", "models/w.pt", sha256=sha(WEIGHTS)),
                       Artifact("images", "set/images.tar", manual="get images.tar and put it at {path}"))
    got = artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest={}, names={"weights"})
    assert list(got) == ["weights"]
    with pytest.raises(MissingArtifactError, match="images"):
        artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest={})


def test_a_folder_filled_by_hand_must_hold_what_the_declaration_names(tmp_path):
    art = Artifact("model", "models/m.tar", unpack="models/m", contains=("config.json", "sub/index.json"),
                   manual="copy the checkpoint into {path}'s folder")
    bench = bench_with(art)
    (tmp_path / "models/m/sub").mkdir(parents=True)
    (tmp_path / "models/m/config.json").write_text("{}")
    assert artifacts.presence(bench, str(tmp_path)) == {"model": False}
    with pytest.raises(MissingArtifactError, match=r"lacks sub/index.json \(incomplete\?\); copy the checkpoint"):
        artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest={})
    (tmp_path / "models/m/sub/index.json").write_text("{}")
    assert artifacts.presence(bench, str(tmp_path)) == {"model": True}
    got = artifacts.resolve_all(bench, str(tmp_path), offline=True, manifest={})
    assert got["model"].path == tmp_path / "models/m"


@pytest.mark.parametrize("text,says", [
    ("{not json", "cannot be read as JSON"),
    ('{"artifacts": ["weights"]}', 'expected {"artifacts"'),
    ('{"artifacts": {"weights": {"sha256": "ab"}}}', "artifact 'weights' needs a \"path\""),
    ('{"artifacts": {"weights": {"path": "w.pt", "size": "12"}}}', "artifact 'weights' has a size of the wrong type"),
])
def test_a_malformed_manifest_is_a_clear_error(tmp_path, text, says):
    from harness.errors import UsageError

    manifest = tmp_path / "manifest.json"
    manifest.write_text(text)
    with pytest.raises(UsageError, match=re.escape(says)):
        artifacts.load_manifest(str(manifest))
