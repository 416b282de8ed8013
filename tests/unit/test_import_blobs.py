"""The import files' store (repository/blobs.py): S3 deployed (here moto's), a directory locally, one interface."""

import io
import time

import pytest
from loyalty.repository.blobs import DirectoryBlobs, S3Blobs, blobs


@pytest.fixture
def s3():
    from moto import mock_aws

    with mock_aws():
        store = S3Blobs("imports-test")
        store.client.create_bucket(Bucket="imports-test")
        yield store


def test_s3_blobs_stream_lines_through_a_buffer_and_sign_put_and_get_urls(s3, tmp_path):
    lines = b"".join(b"row %d\n" % n for n in range(50_000))
    assert s3.put("uploads/acme/imp_1", lines, "text/csv") is None  # (a blob store's put, not an HTTP call)
    with s3.open("uploads/acme/imp_1") as stream:
        assert stream.readline() == b"row 0\n"  # a buffered readline, not botocore's byte-at-a-time one
        assert sum(1 for _ in iter(stream.readline, b"")) == 49_999
    (tmp_path / "part").write_bytes(b"x")
    s3.put_file("reports/acme/imp_1/parts/00000.jsonl", tmp_path / "part")
    assert s3.get("reports/acme/imp_1/parts/00000.jsonl") == b"x"
    upload = s3.upload_url("uploads/acme/imp_1", 900)
    assert upload.startswith("https://imports-test.s3.") and "/uploads/acme/imp_1?" in upload
    assert "X-Amz-Signature=" in upload and "X-Amz-Expires=900" in upload
    assert "X-Amz-Expires=3600" in s3.download_url("reports/acme/imp_1.csv", 3600)


def test_directory_blobs_sign_their_urls_refuse_tampering_expiry_and_paths_outside(tmp_path, monkeypatch):
    store = DirectoryBlobs(tmp_path, "http://127.0.0.1:3999")
    url = store.upload_url("uploads/acme/imp_1", 60)
    assert url.startswith("http://127.0.0.1:3999/_uploads/uploads/acme/imp_1?expires=")
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    assert store.valid("PUT", "uploads/acme/imp_1", query["expires"], query["signature"])
    assert not store.valid("PUT", "uploads/other/imp_1", query["expires"], query["signature"])  # another key
    assert not store.valid("PUT", "uploads/acme/imp_1", str(int(query["expires"]) + 1), query["signature"])
    elsewhere = DirectoryBlobs(tmp_path / "elsewhere")  # another folder's store has its own key
    assert not elsewhere.valid("PUT", "uploads/acme/imp_1", query["expires"], query["signature"])
    assert not store.valid("GET", "uploads/acme/imp_1", query["expires"], query["signature"])  # another method
    for odd in ("²", "1e9", " 1", "٣" + query["expires"][1:], ""):  # digits only 0-9 (int("²") raises)
        assert not store.valid("PUT", "uploads/acme/imp_1", odd, query["signature"])
    download = store.download_url("reports/acme/imp_1.csv", 60)
    assert download.startswith("http://127.0.0.1:3999/_blobs/reports/acme/imp_1.csv?expires=")
    fetched = dict(part.split("=") for part in download.split("?")[1].split("&"))
    assert store.valid("GET", "reports/acme/imp_1.csv", fetched["expires"], fetched["signature"])
    assert not store.valid("PUT", "reports/acme/imp_1.csv", fetched["expires"], fetched["signature"])
    monkeypatch.setattr(time, "time", lambda: int(query["expires"]) + 1)
    assert not store.valid("PUT", "uploads/acme/imp_1", query["expires"], query["signature"])  # expired
    for bad in ("../x", "uploads/../../x", "", "a//b", "uploads/./x"):
        with pytest.raises(ValueError):
            assert store.put(bad, b"x") is None
    assert store.put("chunks/acme/imp_1/00000.jsonl", b"{}\n") is None
    assert (tmp_path / "chunks" / "acme" / "imp_1" / "00000.jsonl").read_bytes() == b"{}\n"


def test_the_bucket_variable_chooses_s3(monkeypatch):
    monkeypatch.setenv("IMPORT_BUCKET", "stack-imports")
    chosen = blobs()
    assert isinstance(chosen, S3Blobs) and chosen.bucket == "stack-imports"
    monkeypatch.delenv("IMPORT_BUCKET")
    assert isinstance(blobs(), DirectoryBlobs)


class _Interrupted(io.BytesIO):
    """An upload whose second read comes after another upload of the same key has run whole."""

    def __init__(self, data: bytes, meanwhile) -> None:
        super().__init__(data)
        self.meanwhile = meanwhile

    def read(self, size: int = -1) -> bytes:
        if self.tell() and self.meanwhile:
            self.meanwhile, meanwhile = None, self.meanwhile
            meanwhile()
        return super().read(min(size, 1000))


def test_two_uploads_of_one_key_at_once_leave_one_of_them_whole(tmp_path):
    """Both wrote the one `<key>.partial`: the stored blob was a mix of the two files (an import of rows neither
    client sent) and the second rename failed (a 500). Each write has its own temporary file; the last one wins."""
    store = DirectoryBlobs(tmp_path)
    first, second = b"a" * 5000, b"b" * 3000
    store.put_stream(
        "uploads/acme/imp_1",
        _Interrupted(first, lambda: store.put_stream("uploads/acme/imp_1", io.BytesIO(second), len(second))),
        len(first),
    )
    assert store.get("uploads/acme/imp_1") == first
    assert [path.name for path in (tmp_path / "uploads" / "acme").iterdir()] == ["imp_1"]


def test_an_upload_that_ends_early_stores_nothing(tmp_path):
    store = DirectoryBlobs(tmp_path)
    store.put_stream("uploads/acme/imp_1", io.BytesIO(b"kept"), 4)
    with pytest.raises(ValueError):
        store.put_stream("uploads/acme/imp_1", io.BytesIO(b"short"), 100)
    assert store.get("uploads/acme/imp_1") == b"kept"
    assert [path.name for path in (tmp_path / "uploads" / "acme").iterdir()] == ["imp_1"]


def test_directory_blobs_keep_their_signing_key_so_urls_outlive_a_restart(tmp_path):
    """The key was made per process: an upload URL handed out before `make serve` restarted was refused (403)
    after it, where a presigned S3 URL stays good until it expires."""
    root = tmp_path / "blobs"
    url = DirectoryBlobs(root).upload_url("uploads/acme/imp_1", 60)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    restarted = DirectoryBlobs(root)  # a new process's store of the same folder
    assert restarted.valid("PUT", "uploads/acme/imp_1", query["expires"], query["signature"])
    key_file = tmp_path / "blobs.url-secret"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert not DirectoryBlobs(tmp_path / "other").valid(
        "PUT", "uploads/acme/imp_1", query["expires"], query["signature"]
    )
    key_file.write_bytes(b"short")  # a damaged key is replaced (URLs signed with it can't be checked anyway)
    assert len(DirectoryBlobs(root).secret) == 32
    assert sorted(path.name for path in tmp_path.iterdir()) == ["blobs.url-secret", "other.url-secret"]
