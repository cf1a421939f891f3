"""Demo data for ``make run``: Kabupaten Buton Tengah and the Posyandu Anggrek seed case."""
