"""The exceptions the assistant raises on purpose.

Every one carries a message written for the person at the keyboard; the CLI prints it as a
single line. Hierarchy::

    AssistantError
    ├── ConfigError          bad settings, missing optional extra, unknown model
    ├── StoreError           Chroma store unreachable, or built with another embedder
    ├── IngestError          a whole ingest could not run (no such path, nothing readable)
    ├── DocumentError        one file could not be read (the ingest skips it and goes on)
    ├── QuestionError        the question itself is unusable (empty, too long)
    ├── BackendError         the answer backend failed (model missing, endpoint down)
    └── ServeError           the web server cannot listen (port in use, no permission)
"""


class AssistantError(Exception):
    """Base class: a failure with a message meant for the user."""


class ConfigError(AssistantError):
    pass


class StoreError(AssistantError):
    pass


class IngestError(AssistantError):
    pass


class DocumentError(AssistantError):
    pass


class QuestionError(AssistantError):
    pass


class BackendError(AssistantError):
    pass


class ServeError(AssistantError):
    pass


def missing_extra(package: str, extra: str) -> ConfigError:
    """The error for an optional dependency that is not installed."""
    return ConfigError(
        f"{package} is not installed; install the '{extra}' extra: pip install -e '.[{extra}]'"
    )


def unavailable(what: str, where: str, exc: BaseException, folder: str | None = None) -> StoreError:
    """ "<what> is unavailable (<where>): <why>", in plain words for a full or read-only disk.

    ``folder``: a local store's folder, looked at when the library's own message does not say
    why (Chroma reports a full disk as "Error in compaction", for one)."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    lowered = detail.lower()
    if "disk is full" in lowered or "no space left" in lowered or _nearly_full(folder):
        detail = f"the disk it is on is full ({detail})"
    elif "readonly" in lowered or "read-only" in lowered:
        detail = f"it is read-only ({detail})"
    return StoreError(f"{what} is unavailable ({where}): {detail}")


def _nearly_full(folder: str | None) -> bool:
    """Whether the disk holding ``folder`` has less than 1 MB free (False when unknown)."""
    if not folder:
        return False
    import shutil

    try:
        return shutil.disk_usage(folder).free < 1024 * 1024
    except OSError:
        return False
