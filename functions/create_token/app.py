"""POST /oauth/token: client credentials in, a signed access token out (§12; the one public route)."""

from loyalty.oauth_http import handler

__all__ = ["handler"]
