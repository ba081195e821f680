"""netspec: check declarative neural-network specs and count what they cost, without a framework."""

__version__ = "0.1.0"
# The name on the package index (`netspec` there is an unrelated project); the import package and
# the command stay `netspec`. Every install hint is built from this one name.
DISTRIBUTION = "netspec-cli"


def analyze(spec, **params):
    """Analyse a spec (a path, YAML text or an already-loaded dict); see netspec.api.analyze."""
    from .api import analyze as _analyze

    return _analyze(spec, **params)
