"""`cruce node serve` for a store URL: python _serve_url.py URL HOST PORT.

The same code as `cruce.cli._server.serve`, but the URL stays a string (the CLI's `--db` is a
Path, which breaks `postgresql://` URLs). The audit folder comes from CRUCE_AUDIT_DIR.
"""

from __future__ import annotations

import sys


def main(url: str, host: str, port: int) -> None:
    import uvicorn

    from cruce import Node
    from cruce.api import create_app

    with Node.open(url) as node:
        uvicorn.run(create_app(node), host=host, port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
