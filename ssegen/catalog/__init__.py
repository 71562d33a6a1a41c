"""The event catalog: what a reviewer, a docs viewer and a front-end developer read.

From the IR of every built spec: one OpenAPI 3.2 document (`openapi.py`,
`components.py`), a Markdown contract page per package (`docs.py`), and the
mock service `ssegen serve` runs (`preview.py`). Wire examples come from one
place (`frames.py`), so the document, the pages and the mock agree.
"""
