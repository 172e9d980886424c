"""Name lookup shared by the Keras modules (``optimizers.get('sgd')`` and friends) and
the registry of user-defined objects that saved models refer to by name."""
import contextlib

_CUSTOM_OBJECTS = {}


def get_custom_objects():
    """The live dict of user objects, looked up by name before the built-in ones."""
    return _CUSTOM_OBJECTS


@contextlib.contextmanager
def custom_object_scope(*dicts):
    """Objects added inside the ``with`` block are forgotten when it ends."""
    saved = dict(_CUSTOM_OBJECTS)
    for objects in dicts:
        _CUSTOM_OBJECTS.update(objects)
    try:
        yield
    finally:
        _CUSTOM_OBJECTS.clear()
        _CUSTOM_OBJECTS.update(saved)


CustomObjectScope = custom_object_scope


def lookup(name, table, what):
    """``table[name]``, a user object of that name taking precedence; an unknown name
    is a ValueError that lists the known ones."""
    if name in _CUSTOM_OBJECTS:
        return _CUSTOM_OBJECTS[name]
    if name in table:
        return table[name]
    known = ", ".join(sorted(table))
    raise ValueError(f"Invalid {what}: {name!r}. Known {what}s: {known}")


def split_config(identifier, what):
    """A Keras 1 config ``{'name': N, **kwargs}`` or a Keras 2 one
    ``{'class_name': N, 'config': kwargs}`` -> (N, kwargs)."""
    if "class_name" in identifier:
        return identifier["class_name"], dict(identifier.get("config") or {})
    if "name" in identifier:
        kwargs = dict(identifier)
        return kwargs.pop("name"), kwargs
    raise ValueError(f"Invalid {what} config {identifier!r}: expected a 'name' or 'class_name' key")


def resolve_spellings(kwargs, spellings, where):
    """Rename Keras 2/3 keywords to their Keras 1 names, in place.

    ``spellings`` maps each new name to the old one (``{'learning_rate': 'lr'}``).
    Giving both spellings of one argument is a TypeError that names both.
    """
    for new, old in spellings.items():
        if new in kwargs:
            if old in kwargs:
                raise TypeError(f"{where}: got both {old!r} and {new!r}, which are the same "
                                f"argument in Keras 1 and Keras 2 spelling; give one")
            kwargs[old] = kwargs.pop(new)
    return kwargs
