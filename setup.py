"""Build script: declares the Cython extension aurora_lite._core plainly.

A broken build fails loudly; there is no pure-Python fallback for the
storage hot paths.
"""
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        "aurora_lite._core",
        ["aurora_lite/_core.pyx"],
        extra_compile_args=["-O3"],
    )
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    )
)
