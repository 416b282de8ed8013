"""The handler Lambda calls (`infra.config.HANDLER`): the function's own `app.handler`, imported, then init ended.

`loyalty/__init__.py` pauses garbage collection on Lambda for the imports of init. This module imports the
function's code (`app.py` at the root of its asset, /var/task) and then ends init (`loyalty.init_done`: what
init built is frozen, collection resumes), whatever that module decorates or leaves out. It adds no frame:
Lambda calls the function's handler itself.
"""

from app import handler  # type: ignore[import-not-found]  # the function's module, on Lambda's path

from loyalty import init_done

init_done()

__all__ = ["handler"]
