"""Packaging beyond what pyproject.toml can say: where the wheel carries the migrations and
the sample data.

They stay at the top of the repository (``migrations/``, ``sample_data/``), and the wheel
ships them inside the package as ``ims/_migrations`` and ``ims/_sample_data``, where
``ims.resources`` looks for them in an installed ims. pyproject.toml's ``package-dir`` could
map them too, but only beside a hand-kept list of every package; here the packages are
still found, so a new subpackage is never left out of the wheel.
"""

from setuptools import find_namespace_packages, setup

SHIPPED = {
    "ims._migrations": "migrations",
    "ims._migrations.versions": "migrations/versions",
    "ims._sample_data.boundaries": "sample_data/boundaries",
    "ims._sample_data.examples": "sample_data/examples",
    "ims._docs": "docs",  # the guides the pages show (map_ui.upload_pages.guide_page)
}

setup(
    packages=[*find_namespace_packages(include=["ims", "ims.*", "map_ui", "map_ui.*"]), *SHIPPED],
    package_dir=SHIPPED,
)
