"""Signed, portable certificates (issue 19): the issuers' keys, Open Badges 3.0
credentials as VC-JWTs, the Bitstring Status List of revocations, and their public
endpoints under ``/credentials/``. See ``docs/credentials.md``."""
