"""Places: the official Kemendagri codes and names of provinces, regencies, kecamatan and
villages, shipped as data (``data.py`` reads them, ``services.py`` loads them, ``cli.py``
is ``flask places load``); the source, its licence and the update steps are in
``docs/places.md``."""
