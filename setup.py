"""Only here to declare the C extensions (matching engine, event queue); metadata lives in pyproject.toml."""
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            f"hollow.market.{name}",
            sources=[f"src/hollow/market/{name}.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall"],
        )
        for name in ("_engine", "_queue")
    ]
)
