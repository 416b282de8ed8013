"""§12 OAuth client credentials: the token request (form or JSON), its answer and its errors (RFC 6749, bare)."""

from loyalty.models.types import Shape, integer, one_of, text

GrantType = one_of("client_credentials", description="Always client_credentials")
ClientId = text(max_len=64, description="The client's id (or in HTTP Basic)", example="oc_01JDEMOC11ENT0000000000000")
ClientSecret = text(max_len=128, description="The client's secret (or in HTTP Basic)", example="cs_q4V7...")
Scope = text(max_len=200, description="Space-separated scopes: a subset of the client's (default: all)", example="read")
AccessToken = text(
    max_len=512,
    description="One base64url string of at most 512 characters",
    example="oat1AAFpVbkAaVXHEAQEZGVtbx1vY18wMUpERU1PQzExRU5UMDAwMDAwMDAwMDAwML54YHeZkKYyKW1869KJ_ShEAGEvAM5gZFEHON8FVb4s",
)
ExpiresIn = integer(minimum=1, maximum=3600, description="Seconds until the token expires", example=3600)
ErrorCode = one_of("invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope")


class TokenRequest(Shape):
    """RFC 6749 §4.4.2, as `application/x-www-form-urlencoded` or JSON; the client may authenticate with HTTP
    Basic (§2.3.1) instead of `client_id` and `client_secret`."""

    grant_type: GrantType
    client_id: ClientId = None
    client_secret: ClientSecret = None
    scope: Scope = None


class TokenAnswer(Shape):
    """RFC 6749 §4.4.3 / §5.1, bare (no data envelope), sent with Cache-Control: no-store."""

    access_token: AccessToken
    token_type: one_of("Bearer", example="Bearer")
    expires_in: ExpiresIn
    scope: text(description="The token's scopes, space-separated", example="read")


class TokenError(Shape):
    """RFC 6749 §5.2, bare."""

    error: ErrorCode
    error_description: text(description="A sentence for a human", example="The client is unknown or its secret wrong.")
