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
    """The reference's lines for ``kind`` in ``[table]``: the entry that starts with ``kind:`` and
    its continuation lines, plus the lines every kind shares (those before the first entry)."""
    block = _table(table)
    shared = []
    own = []
    inside = False
    for line in block:
        stripped = line.strip()
        head = stripped.split(":", 1)[0]
        is_entry = ":" in stripped and line.startswith("  ") and not line.startswith("   ") \
            and " " not in head and "=" not in head
        if is_entry:
            inside = head == kind
            if inside:
                own.append(line)
            continue
        if inside and line.startswith("   "):
            own.append(line)
        elif not own and not inside and not is_entry and stripped:
            shared.append(line)
        else:
            inside = False
    return "\n".join(own + shared)
