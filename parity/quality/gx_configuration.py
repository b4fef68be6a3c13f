"""One configuration per expectation while GX validates a suite, instead of one per access.

GX 1.x's `Expectation.configuration` is a property that rebuilds the expectation's configuration
(a pydantic `.dict()`, a regex on the class name and a new ExpectationConfiguration) every time it
is read, and one validation reads it about 80 times per expectation: about half of a validation's
time, 4 to 5 ms per expectation whatever the table's size (measured on the personnel suite). The
expectations GX builds for a validation (`to_domain_obj()` of each configuration) are only read
while it runs, so inside `memoised()` each expectation's configuration is built once and kept until
the validation ends. Outside it, the property is GX's own.

The wrapper is installed only over the property it was written for (GX's own getter, by its
qualified name); if a GX release changes it, GX is left as it is: slower, never different.
tests/test_quality.py validates every suite with and without it and compares the results.
"""
import contextlib
import threading
from collections.abc import Iterator

_scope = threading.local()  # .cache: id(expectation) -> (expectation, configuration), inside memoised()
GX_GETTER = "Expectation.configuration"


def install() -> bool:
    """Wrap GX's `Expectation.configuration` (once); False if it is not the property this knows."""
    from great_expectations.expectations.expectation import Expectation

    prop = Expectation.__dict__.get("configuration")
    if not isinstance(prop, property) or prop.fget is None:
        return False
    if getattr(prop.fget, "__wrapped__", None) is not None:
        return True
    if prop.fget.__qualname__ != GX_GETTER:
        return False
    build = prop.fget

    def configuration(self):
        cache = getattr(_scope, "cache", None)
        if cache is None:
            return build(self)
        # keyed by id while the expectation itself is held in the entry: no id is reused in the scope
        kept = cache.get(id(self))
        if kept is None or kept[0] is not self:
            kept = cache[id(self)] = (self, build(self))
        return kept[1]

    configuration.__wrapped__ = build
    Expectation.configuration = property(configuration, doc=prop.__doc__)
    return True


@contextlib.contextmanager
def memoised() -> Iterator[None]:
    """Each expectation's configuration built once until the block ends (one validation)."""
    outer = getattr(_scope, "cache", None)
    _scope.cache = {} if outer is None else outer
    try:
        yield
    finally:
        _scope.cache = outer
