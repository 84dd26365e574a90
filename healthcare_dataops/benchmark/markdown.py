"""How the report writes a figure: one place, so every section reads alike."""

from __future__ import annotations

GIB = 2**30


def value(figure: float | None, unit: str) -> str:
    if figure is None:
        return "n/a"
    if unit == "%":
        return f"{figure:.0%}"
    if unit == "":
        return f"{figure:.3g}" if figure < 1 else f"{figure:.1f}"
    return f"{figure:.2f} {unit}" if unit != "×" else f"{figure:.2f}×"


def count(rows: int | None) -> str:
    return "" if rows is None else f"{rows:,}"


def gib(size: int | None) -> str:
    return "n/a" if size is None else f"{size / GIB:.2f} GiB"
