"""Business operations. Services take plain arguments, ``flush()`` and raise
:class:`ServiceError`; they never read the request, flash or commit."""

from __future__ import annotations


class ServiceError(ValueError):
    """A domain rule refused the operation.

    ``field`` names the form field the message belongs to (``None`` for the whole form);
    ``message`` is already translated (lazy) for the user.
    """

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field
