"""One configuration per expectation, and one filtered table per row condition, while GX validates a
suite, instead of one per access.

GX 1.x's `Expectation.configuration` is a property that rebuilds the expectation's configuration
(a pydantic `.dict()`, a regex on the class name and a new ExpectationConfiguration) every time it
is read, and one validation reads it about 80 times per expectation: about half of a validation's
time, 4 to 5 ms per expectation whatever the table's size (measured on the personnel suite). The
expectations GX builds for a validation (`to_domain_obj()` of each configuration) are only read
while it runs, so inside `memoised()` each expectation's configuration is built once and kept until
the validation ends. Outside it, the property is GX's own.

Likewise, GX's pandas engine filters the table by an expectation's row condition (DataFrame.query,
about 3.5 ms) for each of the metrics the expectation asks for, about eleven times per conditional
expectation: inside `memoised()` the filtered table of each (table, condition) is kept until the
validation ends (a fifth of the time of the suites that have one). GX's metrics read the filtered
table and never write it.

Each wrapper is installed only over the function it was written for (GX's own, by its qualified
name); if a GX release changes it, GX is left as it is: slower, never different.
tests/test_quality.py validates every suite with and without them and compares the results.
"""
import contextlib
import threading
from collections.abc import Iterator

_scope = threading.local()  # .cache: (kind, id, ...) -> (the object kept alive, the value), inside memoised()
GX_GETTER = "Expectation.configuration"
GX_ROW_FILTER = "PandasExecutionEngine._apply_row_condition_filter"


def install() -> bool:
    """Both wrappers (once each); False if GX's configuration property is not the one this knows."""
    _install_row_filter()
    return _install_configuration()


def _install_row_filter() -> bool:
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    apply = PandasExecutionEngine.__dict__.get("_apply_row_condition_filter")
    if apply is None or getattr(apply, "__wrapped__", None) is not None:
        return apply is not None
    if apply.__qualname__ != GX_ROW_FILTER:
        return False

    def filtered(self, data, row_condition, domain_kwargs):
        return _kept(("rows", id(data), repr(row_condition), domain_kwargs.get("condition_parser")), data,
                     lambda: apply(self, data, row_condition, domain_kwargs))

    filtered.__wrapped__ = apply
    PandasExecutionEngine._apply_row_condition_filter = filtered
    return True


def _install_configuration() -> bool:
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
        return _kept(("configuration", id(self)), self, lambda: build(self))

    configuration.__wrapped__ = build
    Expectation.configuration = property(configuration, doc=prop.__doc__)
    return True


def _kept(key: tuple, owner, make):
    """make(), once per `key` inside memoised() (every time outside it). Keyed by an id while its
    object (`owner`) is held in the entry: no id is reused within the scope."""
    cache = getattr(_scope, "cache", None)
    if cache is None:
        return make()
    kept = cache.get(key)
    if kept is None or kept[0] is not owner:
        kept = cache[key] = (owner, make())
    return kept[1]


@contextlib.contextmanager
def memoised() -> Iterator[None]:
    """Each expectation's configuration, and each row condition's filtered table, made once until the
    block ends (one validation)."""
    outer = getattr(_scope, "cache", None)
    _scope.cache = {} if outer is None else outer
    try:
        yield
    finally:
        _scope.cache = outer
