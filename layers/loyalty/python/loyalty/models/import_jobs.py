"""Deployed bulk imports (§14): the import to start (`POST /imports`), its upload link and the import as it runs."""

from loyalty.models.types import Shape, UtcDateTime, integer, one_of, text

IMPORT_KINDS = ("members", "codes")
IMPORT_STATUSES = ("awaiting_upload", "running", "completed", "failed")
TargetId = text(min_len=1, max_len=64, pattern=r"^[A-Za-z0-9_.:-]+$")
RowCount = integer(minimum=0)


class ImportCreate(Shape):
    kind: one_of(
        *IMPORT_KINDS,
        description="members: a members file (§14 columns); codes: codes for the one pool named by rewardId, "
        "offerId or promoId",
    )
    rewardId: TargetId = None
    offerId: TargetId = None
    promoId: TargetId = None


ImportId = text(description="imp_ and a ULID", example="imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4")
ImportStatus = one_of(
    *IMPORT_STATUSES,
    description="awaiting_upload until the file is uploaded; running while its chunks are imported; completed "
    "(the report is ready) or failed",
)


class ImportCreated(Shape):
    importId: ImportId
    uploadUrl: text(
        max_len=4096,
        description="Where to PUT the file (CSV with a header row, or JSON Lines) within uploadExpiresAt: a "
        "presigned URL, no Authorization header; the upload starts the import",
        example="https://loyalty-imports.s3.amazonaws.com/uploads/acme/imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4?X-Amz-Signature=…",
    )
    uploadExpiresAt: UtcDateTime
    status: ImportStatus


class ImportJob(Shape):
    importId: ImportId
    kind: one_of(*IMPORT_KINDS, description="What the file holds")
    status: ImportStatus
    rowsTotal: RowCount
    rowsDone: RowCount
    rowsFailed: RowCount
    reportUrl: (
        text(
            max_len=4096,
            description="Once completed: a presigned link (valid for 1 hour from this answer) to the report, a CSV "
            "of the rows not imported (line, status, field, reason); null before",
            example="https://loyalty-imports.s3.amazonaws.com/reports/acme/imp_01JD8YF6G8J0L2N4Q6S8U0W2Y4.csv?…",
        )
        | None
    )
    createdAt: UtcDateTime
    completedAt: UtcDateTime | None
    error: (
        text(
            max_len=1000,
            description="Once failed: why - the file cannot be read (neither CSV nor JSON Lines, an unknown or "
            "repeated column), the pool no longer takes codes, or the run itself failed; null otherwise",
            example="The file can't be imported: not a CSV or JSON Lines file.",
        )
        | None
    )
