"""The task file's key reference (the text of ``inversa run --help``), cut into the blocks the
docstrings of the physics, prior and solver classes show, so ``help()`` and the CLI cannot disagree."""

from ._native import KEY_REFERENCE


def _table(name):
    """The lines of the ``[name]`` table of the reference."""
    lines = KEY_REFERENCE.splitlines()
    start = lines.index(f"[{name}]") if f"[{name}]" in lines else next(
        i for i, line in enumerate(lines) if line.startswith(f"[{name}]")
    )
    block = []
    for line in lines[start + 1:]:
        if line.startswith("["):
            break
        block.append(line)
    return block


def keys(table, kind):
    """The reference's lines for ``kind`` in ``[table]`` (the entry ``  kind: ...`` or
    ``  kind (...): ...`` and its indented continuation lines), then the lines every kind shares
    (the table's other top-level lines, such as ``weight`` or ``noise``)."""
    own, shared, current = [], [], None
    for line in _table(table):
        if not line.strip():
            continue
        if line.startswith("  ") and not line.startswith("   "):
            head = line.strip().split(":", 1)[0].split(" (", 1)[0]
            is_entry = ":" in line and " " not in head and "=" not in head
            current = head if is_entry else ""
        if current == kind:
            own.append(line)
        elif current == "":
            shared.append(line)
    return "\n".join(own + shared)


def documented_class(base, kind, name, summary, table, usage=""):
    """A subclass of ``base`` for registered ``kind`` whose docstring is its summary, ``usage`` and
    its keys in the ``[table]`` of the reference (what ``help()`` shows)."""
    doc = (f"{summary}\n\n{usage}The keys, as in a task file's ``[{table}]`` table (defaults in "
           f"brackets):\n\n{keys(table, kind)}\n")
    return type(name, (base,), {"kind": kind, "__doc__": doc, "__module__": base.__module__})
