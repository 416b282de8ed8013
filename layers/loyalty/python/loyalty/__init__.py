"""Domain package of the Loyalty & Offers API, shipped to every function as a Lambda layer."""

VERSION = "0.1.0"
