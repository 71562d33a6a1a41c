"""Everything that turns the IR into files, in memory: {relative path: text}.

Python modules (`package`: templates and the formatter; `models`: the payload
models), the OpenAPI event catalog (`openapi`, `openapi_events`, `openapi_runtime`,
`openapi31`) and the Markdown contract pages (`contract_page`, `field_tables`,
`markdown`). Wire examples come from one place (`frames`), so the document, the
pages and the mock agree.
"""
