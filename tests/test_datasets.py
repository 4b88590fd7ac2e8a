"""Tests of sknn_scratch.datasets.load_mnist.

Most tests write tiny IDX gzip files themselves (a few 28 x 28 images) and put
their checksums in the module's table, so they run in milliseconds and never
touch the network: downloads are simulated with file:// mirrors or a fake
opener.  Two tests read the real files in ../shared/data when that folder exists.
"""

import gzip
import hashlib
import http.client
import io
import os
import re
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknn_scratch import datasets
from sknn_scratch.datasets import FILES, DatasetNotFoundError, load_mnist

REAL_DATA = Path(__file__).parents[2] / "shared" / "data"
# The table as shipped; the autouse fixture lets each test edit a copy of it.
ORIGINAL_SHA256 = {kind: dict(table) for kind, table in datasets.SHA256.items()}
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = FILES
N_TRAIN, N_TEST = 5, 3


def idx_bytes(array, magic=None):
    """Serialize a uint8 array as IDX: magic, big-endian dims, C-order data."""
    magic = 0x0800 + array.ndim if magic is None else magic
    header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_gz(folder, name, raw, kind="mnist"):
    """Write ``gzip(raw)`` as ``folder/name`` and trust its checksum."""
    write_file(folder, name, gzip.compress(raw, mtime=0), kind)


def write_file(folder, name, data, kind="mnist"):
    """Write ``data`` as ``folder/name`` and put its SHA-256 in the table."""
    (folder / name).write_bytes(data)
    datasets.SHA256[kind][name] = hashlib.sha256(data).hexdigest()


def make_fake(folder, kind="mnist", seed=0):
    """Write the four files with small random contents; return the arrays."""
    rng = np.random.default_rng(seed)
    shapes = [(N_TRAIN, 28, 28), (N_TRAIN,), (N_TEST, 28, 28), (N_TEST,)]
    arrays = {
        name: rng.integers(0, 10 if "labels" in name else 256, shape, np.uint8)
        for name, shape in zip(FILES, shapes, strict=True)
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_gz(folder, name, idx_bytes(array), kind)
    return arrays


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Fake checksum table, no cache or SKNN_SCRATCH_DATA, no real network."""
    for kind in datasets.KINDS:
        monkeypatch.setitem(datasets.SHA256, kind, dict(datasets.SHA256[kind]))
    monkeypatch.delenv("SKNN_SCRATCH_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def local_only(url, timeout):
        assert url.startswith("file:"), f"a test tried to reach {url}"
        return datasets.urllib.request.urlopen(url, timeout=timeout)

    monkeypatch.setattr(datasets, "_urlopen", local_only)


@pytest.fixture
def fake_mnist(tmp_path):
    folder = tmp_path / "mnist"
    return folder, make_fake(folder)


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_load_mnist_reads_idx_files(tmp_path, kind):
    arrays = make_fake(tmp_path, kind)
    (X_train, y_train), (X_test, y_test) = load_mnist(tmp_path, kind)

    assert X_train.shape == (N_TRAIN, 784) and y_train.shape == (N_TRAIN,)
    assert X_test.shape == (N_TEST, 784) and y_test.shape == (N_TEST,)
    for array in (X_train, y_train, X_test, y_test):
        assert array.dtype == np.uint8
        assert array.flags.writeable
    # Rows are the images flattened in C order.
    assert_array_equal(X_train.reshape(-1, 28, 28), arrays[TRAIN_IMAGES])
    assert_array_equal(X_test.reshape(-1, 28, 28), arrays[TEST_IMAGES])
    assert_array_equal(y_train, arrays[TRAIN_LABELS])
    assert_array_equal(y_test, arrays[TEST_LABELS])


def test_load_mnist_accepts_str_and_user_path(fake_mnist, monkeypatch, tmp_path):
    folder, _ = fake_mnist
    (X_train, _), _ = load_mnist(str(folder), download=False)
    assert X_train.shape == (N_TRAIN, 784)
    monkeypatch.setenv("HOME", str(tmp_path))
    (X_train, _), _ = load_mnist("~/mnist", download=False)
    assert X_train.shape == (N_TRAIN, 784)


def test_checksum_mismatch_raises(fake_mnist):
    folder, _ = fake_mnist
    name = "train-labels-idx1-ubyte.gz"
    with open(folder / name, "ab") as file:
        file.write(b"\0")
    with pytest.raises(ValueError, match=rf"{name}: SHA-256 [0-9a-f]{{64}} differs"):
        load_mnist(folder)


@pytest.mark.parametrize(
    "kind, other, title",
    [("fashion-mnist", "mnist", "MNIST"), ("mnist", "fashion-mnist", "Fashion-MNIST")],
)
def test_file_of_the_other_kind_is_named(tmp_path, kind, other, title):
    make_fake(tmp_path, other)
    with pytest.raises(ValueError) as excinfo:
        load_mnist(tmp_path, kind, download=False)
    message = str(excinfo.value)
    assert message == (
        f"{tmp_path / TRAIN_IMAGES}: this is the {title} file {TRAIN_IMAGES}; "
        f"use kind={other!r}"
    )
    assert "delete" not in message  # the file is intact


@pytest.mark.parametrize(
    "corrupt",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-8] + bytes(8), id="bad-crc"),
        pytest.param(lambda data: b"not gzip at all", id="not-gzip"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_corrupt_gzip_raises(fake_mnist, corrupt):
    folder, _ = fake_mnist
    name = "t10k-images-idx3-ubyte.gz"
    write_file(folder, name, corrupt((folder / name).read_bytes()))
    with pytest.raises(ValueError, match=rf"{name}: not a valid gzip file"):
        load_mnist(folder)


@pytest.mark.parametrize(
    "name, magic",
    [
        ("train-images-idx3-ubyte.gz", 2049),  # a label file's magic number
        ("train-labels-idx1-ubyte.gz", 2051),  # an image file's magic number
        ("train-labels-idx1-ubyte.gz", 0x0D01),  # 0x0D = float, not unsigned byte
    ],
)
def test_bad_magic_number_raises(fake_mnist, name, magic):
    folder, arrays = fake_mnist
    write_gz(folder, name, idx_bytes(arrays[name], magic=magic))
    with pytest.raises(ValueError, match=rf"{name}: bad IDX magic number {magic}"):
        load_mnist(folder)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda raw: raw[:-1], "the header declares shape .* but"),
        (lambda raw: raw + b"\0", "the header declares shape .* but"),
        (lambda raw: raw[:10], "not an IDX file: 10 bytes, shorter than the 16"),
    ],
    ids=["short-data", "extra-data", "short-header"],
)
def test_header_size_mismatch_raises(fake_mnist, edit, message):
    folder, arrays = fake_mnist
    name = "train-images-idx3-ubyte.gz"
    write_gz(folder, name, edit(idx_bytes(arrays[TRAIN_IMAGES])))
    with pytest.raises(ValueError, match=rf"{name}: {message}"):
        load_mnist(folder)


def test_image_and_label_counts_must_agree(fake_mnist):
    folder, _ = fake_mnist
    write_gz(folder, "t10k-labels-idx1-ubyte.gz", idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match=r"holds 3 images but .* holds 4 labels"):
        load_mnist(folder)


def test_missing_files_without_download_raise(tmp_path, monkeypatch):
    def no_network(url, timeout):
        raise AssertionError("download=False must not open any URL")

    monkeypatch.setattr(datasets, "_urlopen", no_network)
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_mnist(tmp_path / "nowhere", download=False)
    message = str(excinfo.value)
    assert isinstance(excinfo.value, FileNotFoundError)
    assert str(tmp_path / "nowhere") in message
    assert all(name in message for name in FILES)
    assert "download=False" in message and "SKNN_SCRATCH_DATA" in message
    assert not (tmp_path / "nowhere").exists()


def test_error_lists_only_the_missing_files(fake_mnist):
    folder, _ = fake_mnist
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError) as excinfo:
        load_mnist(folder, download=False)
    listed = str(excinfo.value).splitlines()[0]
    assert "t10k-labels-idx1-ubyte.gz" in listed
    assert all(name not in listed for name in FILES[:3])


def test_download_from_file_mirror(tmp_path, monkeypatch):
    arrays = make_fake(tmp_path / "mirror")
    mirror = (tmp_path / "mirror").as_uri() + "/"
    dead_mirror = (tmp_path / "no-such-mirror").as_uri() + "/"
    monkeypatch.setitem(datasets.MIRRORS, "mnist", (dead_mirror, mirror))
    data_home = tmp_path / "cache" / "mnist"  # created by the download

    (X_train, _), (_, y_test) = load_mnist(data_home)

    assert sorted(os.listdir(data_home)) == sorted(FILES)  # no temporary left
    for name in FILES:
        data = (data_home / name).read_bytes()
        assert data == (tmp_path / "mirror" / name).read_bytes()
    assert_array_equal(X_train.reshape(-1, 28, 28), arrays[TRAIN_IMAGES])
    assert_array_equal(y_test, arrays[TEST_LABELS])


def test_download_fetches_only_missing_files(fake_mnist, tmp_path, monkeypatch):
    folder, _ = fake_mnist
    make_fake(tmp_path / "mirror")  # same seed, so the same bytes and checksums
    monkeypatch.setitem(
        datasets.MIRRORS, "mnist", ((tmp_path / "mirror").as_uri() + "/",)
    )
    opened = []

    def recording(url, timeout):
        opened.append(url.rsplit("/", 1)[-1])
        return datasets.urllib.request.urlopen(url, timeout=timeout)

    monkeypatch.setattr(datasets, "_urlopen", recording)
    (folder / "train-labels-idx1-ubyte.gz").unlink()
    load_mnist(folder)
    assert opened == ["train-labels-idx1-ubyte.gz"]


class BrokenResponse(io.BytesIO):
    """A response that delivers one chunk, then fails like a dropped connection."""

    def __init__(self, data, error, folder):
        super().__init__(data)
        self.error, self.folder, self.calls = error, folder, 0
        self.seen_during_download = None

    def read(self, size=-1):
        self.calls += 1
        if self.calls == 1:
            return super().read(16)
        self.seen_during_download = sorted(os.listdir(self.folder))
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        ConnectionResetError(104, "Connection reset by peer"),
        http.client.IncompleteRead(b"partial", 100),
        TimeoutError("timed out"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch, error):
    data_home = tmp_path / "mnist"
    data = gzip.compress(idx_bytes(np.zeros((2, 28, 28), np.uint8)))
    responses = []

    def dropping(url, timeout):
        responses.append(BrokenResponse(data, error, data_home))
        return responses[-1]

    monkeypatch.setattr(datasets, "_urlopen", dropping)
    with pytest.raises(DatasetNotFoundError, match="download failed") as excinfo:
        load_mnist(data_home)

    assert all(name in str(excinfo.value) for name in FILES)
    assert not data_home.exists()  # created for the download, removed with it
    # The partial bytes went to a hidden temporary, never to the final name.
    during = responses[0].seen_during_download
    assert len(during) == 1 and during[0].startswith(".train-images-idx3-ubyte.gz.")
    assert len(responses) == len(datasets.MIRRORS["mnist"])  # every mirror tried


def test_short_download_fails_checksum_and_leaves_nothing(tmp_path, monkeypatch):
    make_fake(tmp_path / "mirror")
    data_home = tmp_path / "mnist"

    def short(url, timeout):
        with datasets.urllib.request.urlopen(url, timeout=timeout) as response:
            return io.BytesIO(response.read()[:-10])  # the server closed early

    monkeypatch.setitem(
        datasets.MIRRORS, "mnist", ((tmp_path / "mirror").as_uri() + "/",)
    )
    monkeypatch.setattr(datasets, "_urlopen", short)
    with pytest.raises(DatasetNotFoundError, match="SHA-256 mismatch"):
        load_mnist(data_home)
    assert not data_home.exists()


def test_offline_raises_not_found(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(datasets, "_urlopen", offline)
    data_home = tmp_path / "mnist"
    with pytest.raises(OSError, match="name resolution") as excinfo:
        load_mnist(data_home)
    assert isinstance(excinfo.value, DatasetNotFoundError)
    message = str(excinfo.value)
    assert str(data_home) in message and "SKNN_SCRATCH_DATA" in message
    assert all(name in message for name in FILES)
    assert not data_home.exists()


def test_failed_download_removes_only_the_folders_it_created(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(datasets, "_urlopen", offline)
    (tmp_path / "existing").mkdir()
    with pytest.raises(DatasetNotFoundError):
        load_mnist(tmp_path / "existing" / "typo" / "mnist")
    assert os.listdir(tmp_path / "existing") == []  # kept: it was there before
    with pytest.raises(DatasetNotFoundError):
        load_mnist(tmp_path / "existing")
    assert os.listdir(tmp_path / "existing") == []


def test_failed_download_keeps_the_files_it_fetched(tmp_path, monkeypatch):
    make_fake(tmp_path / "mirror")
    (tmp_path / "mirror" / TRAIN_LABELS).unlink()  # the second file fails
    monkeypatch.setitem(
        datasets.MIRRORS, "mnist", ((tmp_path / "mirror").as_uri() + "/",)
    )
    data_home = tmp_path / "cache" / "mnist"
    with pytest.raises(DatasetNotFoundError, match=TRAIN_LABELS):
        load_mnist(data_home)
    assert os.listdir(data_home) == [TRAIN_IMAGES]


def test_sknn_scratch_data_is_honoured(tmp_path, monkeypatch):
    arrays = make_fake(tmp_path / "root" / "fashion-mnist", kind="fashion-mnist")
    monkeypatch.setenv("SKNN_SCRATCH_DATA", str(tmp_path / "root"))
    (X_train, _), _ = load_mnist(kind="fashion-mnist", download=False)
    assert_array_equal(X_train.reshape(-1, 28, 28), arrays[TRAIN_IMAGES])
    expected = re.escape(str(tmp_path / "root" / "mnist"))
    with pytest.raises(DatasetNotFoundError, match=expected):
        load_mnist(download=False)


def test_default_folder_is_the_user_cache(tmp_path):
    cache = tmp_path / "home" / ".cache" / "sknn_scratch" / "fashion-mnist"
    with pytest.raises(DatasetNotFoundError, match=re.escape(str(cache))):
        load_mnist(kind="fashion-mnist", download=False)


@pytest.mark.parametrize("kind", ["MNIST", "kmnist", "", None])
def test_bad_kind_raises(kind):
    with pytest.raises(ValueError, match=f"kind must be .* got {kind!r}"):
        load_mnist(kind=kind)


def test_checksum_table_covers_every_file():
    for kind in datasets.KINDS:
        assert sorted(datasets.SHA256[kind]) == sorted(FILES)
        assert all(len(digest) == 64 for digest in datasets.SHA256[kind].values())


# Published label counts (data/README.md), classes 0..9.
REAL_COUNTS = {
    "mnist": (
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
    ),
    "fashion-mnist": ([6000] * 10, [1000] * 10),
}


@pytest.mark.parametrize("kind", ["mnist", "fashion-mnist"])
def test_real_data(kind, monkeypatch):
    folder = REAL_DATA / kind
    if not folder.is_dir():
        pytest.skip(f"real {kind} data not present at {folder}")
    for name in FILES:
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert digest == ORIGINAL_SHA256[kind][name], name

    (X_train, y_train), (X_test, y_test) = load_mnist(folder, kind, download=False)

    assert X_train.shape == (60000, 784) and y_train.shape == (60000,)
    assert X_test.shape == (10000, 784) and y_test.shape == (10000,)
    assert {X_train.dtype, y_train.dtype, X_test.dtype, y_test.dtype} == {
        np.dtype(np.uint8)
    }
    assert X_train.max() == 255 and X_test.max() == 255
    assert_array_equal(np.bincount(y_train, minlength=10), REAL_COUNTS[kind][0])
    assert_array_equal(np.bincount(y_test, minlength=10), REAL_COUNTS[kind][1])


@pytest.mark.parametrize(
    "kind, other", [("mnist", "fashion-mnist"), ("fashion-mnist", "mnist")]
)
def test_real_data_of_the_other_kind_is_named(kind, other):
    folder = REAL_DATA / other
    if not folder.is_dir():
        pytest.skip(f"real {other} data not present at {folder}")
    with pytest.raises(ValueError, match=f"use kind={other!r}$"):
        load_mnist(folder, kind, download=False)
