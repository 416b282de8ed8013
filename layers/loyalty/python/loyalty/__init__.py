"""Domain package of the Loyalty & Offers API, shipped to every function as a Lambda layer."""

import gc
import os

VERSION = "0.1.0"

# A cold start imports ~100 modules on top of botocore's service model (~65k objects); the garbage collector would
# walk all of them in a full pass during init (14 to 56 ms, ~0.15 of the boto3 floor) to find nothing to free. On
# Lambda, collection pauses from here until the function's module is imported (init_done), then what init built is
# frozen out of later passes. Lambda's handler is loyalty.entry.handler: that module imports the function's app.py
# and then calls init_done, whatever the handler is decorated with. Tests, the local API and the CLI collect as usual.
_paused = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")) and gc.isenabled()
if _paused:
    gc.disable()


def init_done() -> None:
    """Init is over: freeze the objects of init (never collected, never walked again), collect as usual."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
