"""MkDocs hook: links from the docs to repository files outside docs/ (examples, the
collector configs) are checked to exist, then turned into plain text naming the path,
since the site has no copy of them. A link to a missing file fails the build."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_REPO_LINK = re.compile(r"\[([^\]]+)\]\((\.\./[^)#\s]+)(#[^)]*)?\)")


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    source = Path(page.file.abs_src_path).parent

    def replace(match: re.Match[str]) -> str:
        text, target = match.group(1), match.group(2)
        path = (source / target).resolve()
        if not path.exists():
            raise ValueError(f"{page.file.src_path}: link to a missing file {target}")
        inside = path.relative_to(Path(config["docs_dir"]).resolve().parent)
        return text if f"`{inside}`" in text else f"{text} (`{inside}`)"

    return _REPO_LINK.sub(replace, markdown)
