"""Where import files, their chunks and reports live: the stack's S3 bucket deployed, a directory locally.

The services read and write blobs by key (`uploads/<tenant>/<importId>`, `chunks/...`, `reports/...`) through
`blobs()` and never know which store answers. Deployed, IMPORT_BUCKET names the bucket (S3, presigned URLs signed by
the function's own role); without it (`make serve`, the tests) a directory stands in — chosen the way the webhook
queue chooses its local stand-in (repository/delivery_queue.py) — and its URLs point at the local API, which
takes the PUT (tools/local/server.py) and starts the same split → chunks → finish sequence (tools/local/imports.py).
A local URL is signed (HMAC of the method, the key and its expiry under a secret kept beside the directory, so that
a URL handed out before a restart of the local API still works until it expires, as a presigned S3 URL does).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote

from loyalty.numerals import is_digits

BUCKET_VARIABLE = "IMPORT_BUCKET"
LOCAL_DIR_VARIABLE = "LOYALTY_BLOB_DIR"
LOCAL_UPLOAD_PATH = "/_uploads/"
LOCAL_DOWNLOAD_PATH = "/_blobs/"


class Blobs(Protocol):
    def open(self, key: str) -> IO[bytes]:
        """The blob as a stream (never read whole here)."""

    def snapshot(self, key: str) -> tuple[str, int, IO[bytes]]:
        """One version of the blob, however often it is written meanwhile: (its version, its size, a stream of it).
        The version names the bytes the stream gives (S3's ETag; locally the file's identity, size and time)."""

    def get(self, key: str) -> bytes: ...

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None: ...

    def upload_url(self, key: str, seconds: int) -> str:
        """A URL that takes one PUT of the blob's bytes (no other credentials) for `seconds`."""

    def download_url(self, key: str, seconds: int) -> str: ...


class S3Blobs:
    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            from botocore.config import Config

            from loyalty.repository.client import aws_client

            self._client = aws_client(
                "s3", Config(signature_version="s3v4", s3={"addressing_style": "virtual"}, retries={"mode": "standard"})
            )
        return self._client

    def open(self, key: str) -> IO[bytes]:
        return self.snapshot(key)[2]

    def snapshot(self, key: str) -> tuple[str, int, IO[bytes]]:
        """One GetObject: its ETag and ContentLength describe the very body it streams (an upload that replaces
        the object meanwhile is another version, which this stream never mixes in). The body is behind a buffer:
        a reader's readline() then costs a C call, not a read(1) a byte (botocore's StreamingBody has only
        io.IOBase's byte-at-a-time readline)."""
        answer = self.client.get_object(Bucket=self.bucket, Key=key)
        version = str(answer["ETag"]).strip('"')
        return version, int(answer["ContentLength"]), io.BufferedReader(answer["Body"], buffer_size=1 << 20)

    def get(self, key: str) -> bytes:
        with self.open(key) as body:
            return body.read()

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        with path.open("rb") as body:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)

    def upload_url(self, key: str, seconds: int) -> str:
        return str(
            self.client.generate_presigned_url(
                "put_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds, HttpMethod="PUT"
            )
        )

    def download_url(self, key: str, seconds: int) -> str:
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
            )
        )


class DirectoryBlobs:
    """Blobs as files under `root`; URLs on the local API at `base_url` (set by the local server)."""

    def __init__(self, root: Path, base_url: str = "http://127.0.0.1:3000") -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self.secret = _url_secret(root)

    def path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root.joinpath(*parts)

    def open(self, key: str) -> IO[bytes]:
        return self.path(key).open("rb")

    def snapshot(self, key: str) -> tuple[str, int, IO[bytes]]:
        """The open file and what it is: a new upload replaces the file by a rename, so the open one keeps its
        bytes, and its inode, size and time name them."""
        stream = self.open(key)
        found = os.fstat(stream.fileno())
        return f"{found.st_ino:x}-{found.st_size:x}-{found.st_mtime_ns:x}", found.st_size, stream

    def get(self, key: str) -> bytes:
        return self.path(key).read_bytes()

    def _partial(self, key: str) -> tuple[Path, Path]:
        """The blob's path and a temporary file of this write only beside it: two writes of one key at once (two
        uploads to one URL) each fill their own file and the last rename wins, whole, as S3's last PUT does."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target, target.with_name(f"{target.name}.{secrets.token_hex(8)}.partial")

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        target, partial = self._partial(key)
        partial.write_bytes(data)
        partial.replace(target)  # whole or absent, as an S3 PUT

    def put_file(self, key: str, path: Path, content_type: str = "application/octet-stream") -> None:
        target, partial = self._partial(key)
        shutil.copyfile(path, partial)
        partial.replace(target)

    def put_stream(self, key: str, stream: IO[bytes] | io.BufferedIOBase, length: int) -> None:
        """What the local server does with an upload: `length` bytes of `stream` to the blob, never whole in memory.
        A stream that ends early raises ValueError and leaves the blob as it was (nothing half-written)."""
        target, partial = self._partial(key)
        try:
            with partial.open("wb") as out:
                left = length
                while left > 0:
                    piece = stream.read(min(left, 1 << 20))
                    if not piece:
                        raise ValueError("the upload ended before its Content-Length")
                    out.write(piece)
                    left -= len(piece)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)

    def _signature(self, method: str, key: str, expires: int) -> str:
        return hmac.new(self.secret, f"{method}\n{key}\n{expires}".encode(), hashlib.sha256).hexdigest()

    def _url(self, method: str, key: str, seconds: int) -> str:
        expires = int(time.time()) + seconds
        path = LOCAL_UPLOAD_PATH if method == "PUT" else LOCAL_DOWNLOAD_PATH
        return f"{self.base_url}{path}{quote(key)}?expires={expires}&signature={self._signature(method, key, expires)}"

    def upload_url(self, key: str, seconds: int) -> str:
        return self._url("PUT", key, seconds)

    def download_url(self, key: str, seconds: int) -> str:
        return self._url("GET", key, seconds)

    def valid(self, method: str, key: str, expires: str, signature: str) -> bool:
        """Whether a local URL's signature is this store's for `method` (PUT: an upload URL, GET: a download URL)
        of `key` and it has not expired. The method is signed, as S3 signs it: a report's download URL turned into
        an upload (or the reverse) is refused."""
        if not is_digits(expires) or int(expires) < time.time():
            return False
        return hmac.compare_digest(self._signature(method, key, int(expires)), signature)


SECRET_BYTES = 32


def _url_secret(root: Path) -> bytes:
    """The key local URLs are signed with: `<root>.url-secret` (owner-only), made by the first store of `root`
    and read by every later one. Published by a hard link, so two stores starting at once agree on one key."""
    path = root.with_name(root.name + ".url-secret")
    try:
        kept = path.read_bytes()
        if len(kept) == SECRET_BYTES:
            return kept
        path.unlink(missing_ok=True)  # a damaged key: URLs signed with it can't be checked anyway
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            out.write(secrets.token_bytes(SECRET_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another store published its key first: that one is the key
    finally:
        draft.unlink(missing_ok=True)
    return path.read_bytes()


_local: list[DirectoryBlobs] = []
_s3: dict[str, S3Blobs] = {}  # one client a container


def serve_locally(root: Path, base_url: str) -> DirectoryBlobs:
    """The local API's store: files under `root`, URLs on `base_url` (called by tools/local/server.py); it is the
    store until `stop_serving` (a server started later in the process takes over, and gives it back)."""
    _local.insert(0, DirectoryBlobs(root, base_url))
    return _local[0]


def stop_serving(store: DirectoryBlobs) -> None:
    """The local server that made `store` has stopped: the one before it (if any) is the store again."""
    if store in _local:
        _local.remove(store)


def blobs() -> Blobs:
    """S3 when IMPORT_BUCKET names the stack's bucket; the local directory otherwise."""
    bucket = os.environ.get(BUCKET_VARIABLE)
    if bucket:
        return _s3.setdefault(bucket, S3Blobs(bucket))
    if not _local:
        root = Path(os.environ.get(LOCAL_DIR_VARIABLE) or Path.cwd() / ".local" / "blobs")
        _local.append(DirectoryBlobs(root))
    return _local[0]
