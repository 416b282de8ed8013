"""POST /oauth/token: client credentials in, a signed access token out (§12; the one public route)."""

from loyalty.services.oauth_http import handler

__all__ = ["handler"]
