"""The markdown summary a risk_model materialization shows in the UI: the model card, plots."""

from __future__ import annotations

import base64


def markdown_summary(card: str, images: dict[str, bytes], run_url: str) -> str:
    lines = [card.rstrip(), "", f"[MLflow run]({run_url})", ""]
    for name, png in images.items():
        encoded = base64.b64encode(png).decode("ascii")
        lines.append(f"![{name}](data:image/png;base64,{encoded})")
    return "\n".join(lines)
