"""MNIST and Fashion-MNIST from their original IDX files.

:func:`load_mnist` reads the four gzip-compressed IDX files each publisher
distributes, checks them against known SHA-256 checksums, and downloads the
missing ones into a cache when it can.  Only the standard library and NumPy are
used.
"""

import gzip
import hashlib
import http.client
import logging
import math
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

__all__ = ["DatasetNotFoundError", "load_mnist"]

logger = logging.getLogger(__name__)

#: The values ``kind`` accepts.
KINDS = ("mnist", "fashion-mnist")

#: The four files of each kind, in the order they are read.
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

#: SHA-256 of each original .gz file; a file must match to be read.
SHA256 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": (
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"
        ),
        "train-labels-idx1-ubyte.gz": (
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"
        ),
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": (
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"
        ),
        "train-labels-idx1-ubyte.gz": (
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"
        ),
        "t10k-images-idx3-ubyte.gz": (
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"
        ),
        "t10k-labels-idx1-ubyte.gz": (
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"
        ),
    },
}

#: Base URLs tried in order for a missing file (the publishers' own mirrors).
MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}

#: Seconds a download may wait on the network before giving up on a mirror.
TIMEOUT = 30.0

_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
_CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """Data files are missing and could not be downloaded.

    Raised by :func:`load_mnist` when ``download=False`` or when every mirror
    failed (no network, timeout, an interrupted or altered download).  The
    message names the folder and the files to put there.  It subclasses
    :class:`FileNotFoundError`, hence :class:`OSError`.

    Examples
    --------
    >>> import tempfile
    >>> from sknn_scratch.datasets import DatasetNotFoundError, load_mnist
    >>> with tempfile.TemporaryDirectory() as empty_folder:
    ...     try:
    ...         load_mnist(empty_folder, download=False)
    ...     except DatasetNotFoundError as error:
    ...         print(type(error).__name__, isinstance(error, FileNotFoundError))
    DatasetNotFoundError True
    """


class _WrongKindError(ValueError):
    """A file is intact but belongs to the other kind (MNIST for Fashion-MNIST).

    ``path`` is the file, ``kind`` the kind it belongs to and ``name`` its name
    there; the command line turns it into a ``--dataset`` hint.
    """

    def __init__(self, path: Path, kind: str, name: str):
        super().__init__(
            f"{path}: this is the {_TITLES[kind]} file {name}; use kind={kind!r}"
        )
        self.path, self.kind, self.name = path, kind, name


def _urlopen(url: str, timeout: float):
    """Open ``url`` for reading; the one place that touches the network.

    Tests replace this function to simulate downloads.
    """
    return urllib.request.urlopen(url, timeout=timeout)


def _default_folder(kind: str) -> Path:
    root = os.environ.get("SKNN_SCRATCH_DATA")
    root = Path(root) if root else Path.home() / ".cache" / "sknn_scratch"
    return root.expanduser() / kind


def _not_found(kind: str, folder: Path, missing: list[str], reason: str):
    return DatasetNotFoundError(
        f"{_TITLES[kind]} files not found in {folder}: {', '.join(missing)} "
        f"({reason}).\n"
        f"Put the original files there (from {' or '.join(MIRRORS[kind])}), "
        "pass data_home= the folder that holds them, or set SKNN_SCRATCH_DATA "
        f"to a folder with a '{kind}' subfolder holding them."
    )


def _fetch(url: str, destination: Path, sha256: str) -> None:
    """Download ``url`` to ``destination`` atomically, checking its SHA-256.

    The bytes go to a temporary file in the same folder, which replaces
    ``destination`` only once complete and verified; it is removed otherwise.
    """
    fd, partial = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _urlopen(url, timeout=TIMEOUT) as response:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ValueError("SHA-256 mismatch (incomplete or altered download)")
        os.replace(partial, destination)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def _download(kind: str, filename: str, folder: Path) -> None:
    """Fetch one file from the first mirror that delivers it intact."""
    failures = []
    for mirror in MIRRORS[kind]:
        url = mirror + filename
        logger.info("Downloading %s to %s", url, folder)
        try:
            _fetch(url, folder / filename, SHA256[kind][filename])
            return
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(f"{url}: {str(exc) or type(exc).__name__}")
    raise OSError("download failed: " + "; ".join(failures))


def _parse_idx(raw: bytes, path: Path, ndim: int) -> np.ndarray:
    """Parse an uncompressed IDX array of unsigned bytes with ``ndim`` dims."""
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(
            f"{path}: not an IDX file: {len(raw)} bytes, shorter than the "
            f"{header_size}-byte header"
        )
    magic = int.from_bytes(raw[:4], "big")
    expected = 0x0800 + ndim  # 0x08 = unsigned byte, then the number of dims
    if magic != expected:
        raise ValueError(
            f"{path}: bad IDX magic number {magic} (0x{magic:08x}); expected "
            f"{expected} for unsigned bytes in {ndim} dimension(s)"
        )
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    n_bytes = math.prod(shape)
    if len(raw) - header_size != n_bytes:
        raise ValueError(
            f"{path}: the header declares shape {shape} ({n_bytes} bytes) but "
            f"{len(raw) - header_size} bytes follow it"
        )
    return np.frombuffer(raw, np.uint8, offset=header_size).reshape(shape).copy()


def _read(path: Path, kind: str, ndim: int) -> np.ndarray:
    """Verify, decompress and parse one .gz IDX file of ``kind``."""
    compressed = path.read_bytes()
    digest = hashlib.sha256(compressed).hexdigest()
    sha256 = SHA256[kind][path.name]
    if digest != sha256:
        for other in set(KINDS) - {kind}:  # intact, so not to be deleted
            for name, other_sha256 in SHA256[other].items():
                if digest == other_sha256:
                    raise _WrongKindError(path, other, name)
        raise ValueError(
            f"{path}: SHA-256 {digest} differs from the original's {sha256}; "
            "the file is incomplete or altered (delete it to download it again)"
        )
    try:
        if not compressed.startswith(b"\x1f\x8b"):  # gzip.decompress(b"") is b""
            raise gzip.BadGzipFile("no gzip signature")
        raw = gzip.decompress(compressed)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(
            f"{path}: not a valid gzip file ({type(exc).__name__}: {exc})"
        ) from None
    return _parse_idx(raw, path, ndim)


def _load_split(folder: Path, kind: str, prefix: str):
    """Read one split: images flattened to (n, rows * cols), and labels."""
    images, labels = f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz"
    X = _read(folder / images, kind, ndim=3)
    y = _read(folder / labels, kind, ndim=1)
    if len(X) != len(y):
        raise ValueError(
            f"{folder}: {images} holds {len(X)} images but {labels} holds "
            f"{len(y)} labels"
        )
    return X.reshape(len(X), -1), y


def _make_folder(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return the new ones, deepest first."""
    created = []
    for path in (folder, *folder.parents):
        if path.exists():
            break
        created.append(path)
    folder.mkdir(parents=True, exist_ok=True)
    return created


def _remove_empty(created: list[Path]) -> None:
    """Remove the folders :func:`_make_folder` created, as long as they are empty."""
    for path in created:
        try:
            path.rmdir()
        except OSError:  # holds a file downloaded before the failure
            return


def load_mnist(
    data_home: str | os.PathLike | None = None,
    kind: str = "mnist",
    *,
    download: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST or Fashion-MNIST from the original IDX gzip files.

    Reads ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
    ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` from
    ``data_home``, downloading the missing ones from the publisher's mirror
    when ``download=True``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder that holds the four files directly, e.g.
        ``"../shared/data/mnist"``.  None means ``$SKNN_SCRATCH_DATA/<kind>``
        when the environment variable ``SKNN_SCRATCH_DATA`` is set, else
        ``~/.cache/sknn_scratch/<kind>``.
    kind : {"mnist", "fashion-mnist"}, default="mnist"
        Handwritten digits (LeCun, Cortes and Burges) or Zalando's clothing
        images; both have 60,000 training and 10,000 test images of 28 x 28
        pixels in ten classes.
    download : bool, default=True
        Download missing files into ``data_home`` (created if needed, and
        removed again if the download fails and leaves it empty).  When False,
        missing files raise :class:`DatasetNotFoundError` without any network
        access or any folder created.

    Returns
    -------
    (X_train, y_train) : tuple of ndarray
        ``X_train`` of shape (60000, 784) and ``y_train`` of shape (60000,),
        both of dtype uint8.
    (X_test, y_test) : tuple of ndarray
        ``X_test`` of shape (10000, 784) and ``y_test`` of shape (10000,),
        both of dtype uint8.

    Raises
    ------
    ValueError
        If ``kind`` is unknown, or a file fails its SHA-256 check, is not valid
        gzip, or is not a well-formed IDX file; the message names the file.  A
        file of the other kind (MNIST read as Fashion-MNIST, or the reverse)
        is named as such, with the ``kind`` that reads it.
    DatasetNotFoundError
        If files are missing and ``download=False`` or the download failed.
        A subclass of :class:`FileNotFoundError`; the message names the folder
        and the files to put there.

    Notes
    -----
    Each image is flattened row by row into 784 features, so ``X`` has shape
    ``(n_samples, n_features)`` as scikit-learn expects;
    ``X.reshape(-1, 28, 28)`` gives the images back.  Pixels are 0..255 with
    0 the background; scale them (e.g. ``X / 255.0``) before fitting.  Labels
    are 0..9: the digit for MNIST; for Fashion-MNIST 0 T-shirt/top,
    1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker,
    8 Bag, 9 Ankle boot.

    An IDX file is a 4-byte big-endian magic number (2051 for the images,
    2049 for the labels: type code 0x08, unsigned byte, then the number of
    dimensions), one big-endian uint32 per dimension, then the data in C
    order.  Every file must match the SHA-256 in ``SHA256`` before it is
    parsed, and its size must match its header.  A download is written to a
    temporary file in ``data_home`` and renamed only once complete and
    verified, so an interrupted download leaves nothing behind.

    MNIST: Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based
    learning applied to document recognition", Proc. IEEE 86(11), 1998.
    Fashion-MNIST (MIT License, Copyright 2017 Zalando SE): H. Xiao, K. Rasul
    and R. Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking
    Machine Learning Algorithms", arXiv:1708.07747, 2017.

    Examples
    --------
    >>> from sknn_scratch.datasets import load_mnist
    >>> (X_train, y_train), (X_test, y_test) = load_mnist()  # doctest: +SKIP
    >>> X_train.shape, X_train.dtype, y_train[:5]  # doctest: +SKIP
    ((60000, 784), dtype('uint8'), array([5, 0, 4, 1, 9], dtype=uint8))

    Offline, or with ``download=False``, the error says where the files go:

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty_folder:
    ...     load_mnist(empty_folder, download=False)
    Traceback (most recent call last):
    ...
    sknn_scratch.datasets.DatasetNotFoundError: MNIST files not found in ...:
    train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
    t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (download=False).
    ...
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'mnist' or 'fashion-mnist', got {kind!r}")
    if data_home is None:
        folder = _default_folder(kind)
    else:
        folder = Path(data_home).expanduser()

    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing and not download:
        raise _not_found(kind, folder, missing, "download=False")
    created = []
    for position, name in enumerate(missing):
        try:
            created = created or _make_folder(folder)
            _download(kind, name, folder)
        except OSError as exc:
            _remove_empty(created)  # a mistyped data_home leaves no trace
            raise _not_found(kind, folder, missing[position:], str(exc)) from None
    return _load_split(folder, kind, "train"), _load_split(folder, kind, "t10k")
