"""Make every artifact of a benchmark present and verified, or say exactly what to do.

An artifact is verified against its declared checksum before anything loads it. A manifest
(``MANIFEST=path.json``) replaces declared artifacts by name with local files and their checksums;
the demo and the tests use one to point at generated fixtures::

    {"demo": true, "artifacts": {"weights": {"path": "model.pt", "sha256": "..."}}}

Relative manifest paths are taken from the manifest's folder.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import fetch, verified
from .declaration import Artifact, Benchmark
from .errors import MissingArtifactError, UsageError

UNPACKED_MARKER = ".unpacked"


@dataclass
class Resolved:
    name: str
    path: Path
    digests: dict[str, str] = field(default_factory=dict)
    origin: str = "declared"  # declared | manifest


def load_manifest(path: str | None) -> dict:
    """The manifest at ``path`` (see the module docstring), checked: a clear error names what is wrong."""
    if not path:
        return {}
    where = f"MANIFEST={path}"
    try:
        manifest = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{where} cannot be read as JSON ({exc}); see harness/artifacts.py for its format") from None
    entries = manifest.get("artifacts", {}) if isinstance(manifest, dict) else None
    if not isinstance(entries, dict):
        raise UsageError(f'{where}: expected {{"artifacts": {{"<name>": {{"path": ..., "sha256": ...}}}}}}')
    base = Path(path).parent
    for name, entry in entries.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise UsageError(f"{where}: artifact {name!r} needs a \"path\" (a string), got {entry!r}")
        bad = [k for k in ("sha256", "md5") if k in entry and not isinstance(entry[k], str)]
        if bad or ("size" in entry and not isinstance(entry["size"], int)):
            raise UsageError(f"{where}: artifact {name!r} has a {', '.join(bad) or 'size'} of the wrong type")
        entry["path"] = str((base / entry["path"]).resolve())
    return manifest


def _digests(art: Artifact, path: Path) -> dict[str, str]:
    verified.verify(path, sha256=art.sha256, md5=art.md5, size=art.size, git_blob=art.git_blob)
    return {k: v for k, v in (("sha256", art.sha256), ("md5", art.md5), ("git_blob", art.git_blob)) if v}


def _member_digests(art: Artifact, out: Path) -> dict[str, str]:
    """The extracted file's sha256, checked against ``member_sha256`` when one is declared."""
    if art.member_sha256:
        verified.verify(out, sha256=art.member_sha256)
    return {"sha256": verified.digest(out, "sha256")}


def _instruction(art: Artifact, where: Path) -> str:
    if art.manual:
        return f"{art.name}: {art.manual.replace('{path}', str(where))}"  # other braces stay as written
    sources = ", ".join(art.sources) or "no public source"
    return f"{art.name}: missing {where} (fetch it from {sources}, or run without OFFLINE=1)"


def _unpack(archive: Path, target: Path) -> None:
    """Unpack into a sibling temporary folder, then rename: a cut never leaves half a dataset."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp, filter="data")
        (tmp / UNPACKED_MARKER).write_text(archive.name + "\n")
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _extract_member(archive: Path, member: str, out: Path) -> None:
    """One file out of a tar or zip archive (a wheel is a zip), written atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            if member not in bundle.namelist():
                raise MissingArtifactError(f"{archive} has no file {member!r}; is it the right archive?")
            with bundle.open(member) as source, tmp.open("wb") as sink:
                shutil.copyfileobj(source, sink)
    else:
        with tarfile.open(archive) as tar:
            source = tar.extractfile(member)
            if source is None:
                raise MissingArtifactError(f"{archive} has no file {member!r}; is it the right archive?")
            with tmp.open("wb") as sink:
                shutil.copyfileobj(source, sink)
    tmp.replace(out)


def final_path(art: Artifact, data_dir: Path) -> Path:
    """Where the run reads the artifact: the unpacked folder, the extracted member, or the file itself."""
    if art.unpack:
        return data_dir / art.unpack
    if art.member:
        return data_dir / art.member[1]
    return data_dir / art.path


def tracked_path(art: Artifact, data_dir: Path) -> Path:
    """What DVC tracks for an artifact: the declared file, else what was unpacked or extracted from it."""
    for candidate in (data_dir / art.path, final_path(art, data_dir)):
        if candidate.exists():
            return candidate
    return data_dir / art.path


def _pull_from_dvc(art: Artifact, data_dir: Path, problems: list[str]) -> None:
    from . import dvc

    candidates = list(dict.fromkeys((data_dir / art.path, final_path(art, data_dir))))
    have = [c for c in candidates if c.with_name(c.name + ".dvc").is_file()]
    try:
        dvc.pull_paths(have[:1] or candidates[:1])
    except dvc.DvcError as exc:
        problems.append(f"{art.name}: {exc}")


def _unpacked(art: Artifact, data_dir: Path) -> bool:
    folder = final_path(art, data_dir)
    return bool(art.unpack) and folder.is_dir() and any(folder.iterdir())


def _ensure(art: Artifact, data_dir: Path, offline: bool, problems: list[str], source: str) -> Resolved | None:
    path, final = data_dir / art.path, final_path(art, data_dir)
    if source == "dvc" and not path.is_file() and not _unpacked(art, data_dir):
        if offline:
            problems.append(_instruction(art, path) + " [OFFLINE=1, DATA_SOURCE=dvc]")
            return None
        before = len(problems)
        _pull_from_dvc(art, data_dir, problems)
        if len(problems) > before:
            return None
    if _unpacked(art, data_dir):  # unpacked earlier or by hand (also after a pull)
        missing = [name for name in art.contains if not (final / name).exists()]
        if missing:
            problems.append(f"{art.name}: {final} lacks {', '.join(missing)} (incomplete?); "
                            + _instruction(art, path).partition(": ")[2])
            return None
        return Resolved(art.name, final, {}, "declared")
    if art.member and final.is_file():
        try:
            return Resolved(art.name, final, _member_digests(art, final))
        except fetch.FetchError as exc:
            problems.append(f"{art.name}: {exc}. Delete it (and {path.name}) to fetch it again.")
            return None
    if not path.is_file():
        if art.manual or not art.sources:
            problems.append(_instruction(art, path))
            return None
        last_error = None
        for url in art.sources:
            try:
                fetch.download(url, path, sha256=art.sha256, md5=art.md5, size=art.size, offline=offline,
                               git_blob=art.git_blob)
                break
            except fetch.OfflineError:
                problems.append(_instruction(art, path) + " [OFFLINE=1]")
                return None
            except fetch.FetchError as exc:
                last_error = exc
        else:
            problems.append(f"{art.name}: every source failed; last: {last_error}")
            return None
    try:
        digests = _digests(art, path)
    except fetch.FetchError as exc:
        problems.append(f"{art.name}: {exc}. Delete the file to fetch it again.")
        return None
    if art.unpack:
        _unpack(path, final)
        return Resolved(art.name, final, digests)
    if art.member:
        _extract_member(path, art.member[0], final)
        try:
            member = _member_digests(art, final)
        except fetch.FetchError as exc:
            final.unlink()
            problems.append(f"{art.name}: {exc} (inside the verified {path.name}: is it the right archive?)")
            return None
        return Resolved(art.name, final, {**member, **{f"archive_{k}": v for k, v in digests.items()}})
    return Resolved(art.name, path, digests)


def _from_manifest(name: str, entry: dict, problems: list[str]) -> Resolved | None:
    path = Path(entry["path"])
    if path.is_dir():
        return Resolved(name, path, {}, "manifest")
    try:
        verified.verify(path, sha256=entry.get("sha256"), md5=entry.get("md5"), size=entry.get("size"))
    except (fetch.FetchError, FileNotFoundError) as exc:
        problems.append(f"{name}: {exc}")
        return None
    return Resolved(name, path, {k: entry[k] for k in ("sha256", "md5") if entry.get(k)}, "manifest")


def resolve_all(bench: Benchmark, data_dir: str, offline: bool, manifest: dict,
                source: str = "upstream", names=None) -> dict[str, Resolved]:
    """Every artifact (or only those in ``names``, e.g. what scoring needs) present and verified,
    or one MissingArtifactError listing all that are not."""
    overrides = manifest.get("artifacts", {})
    problems: list[str] = []
    resolved: dict[str, Resolved] = {}
    for art in bench.artifacts:
        if names is not None and art.name not in names:
            continue
        if art.name in overrides:
            item = _from_manifest(art.name, overrides[art.name], problems)
        else:
            item = _ensure(art, Path(data_dir), offline, problems, source)
        if item is not None:
            resolved[art.name] = item
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise MissingArtifactError(f"{bench.make_name}: {len(problems)} artifact(s) not available:\n{lines}")
    return resolved


def for_scoring(bench: Benchmark, names, env: dict | None = None) -> dict[str, Resolved]:
    """The artifacts an accuracy command needs (punkt data, a tokenizer, scoring weights), resolved as a
    run resolves them: DATA_DIR, MANIFEST, OFFLINE and DATA_SOURCE from the configuration, fetched and
    verified on demand. Upstream's scripts download such files while scoring; ours never load an
    unverified one."""
    from .command_settings import scoring_settings

    config = scoring_settings(bench, env)
    return resolve_all(bench, config.data_dir, config.offline, load_manifest(config.manifest), config.data_source,
                       names=set(names))


def presence(bench: Benchmark, data_dir: str) -> dict[str, bool]:
    """Which artifacts are on disk (without hashing), for ``harness list``."""
    root = Path(data_dir)
    out = {}
    for art in bench.artifacts:
        final = final_path(art, root)
        if art.unpack:
            ready = final.is_dir() and all((final / name).exists() for name in art.contains)
        else:
            ready = final.is_file()
        out[art.name] = (root / art.path).is_file() or ready
    return out
