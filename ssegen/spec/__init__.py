"""Reading specs: YAML with positions, the strict spec model, and the checks that span fields.

`loader` -> `validate` (into `model`) -> `checks`; `refs` resolves `$ref` into one
`$defs` table, refusing keys that are not JSON Schema 2020-12 (`keywords`) and
patterns the runtime cannot match in linear time (`patterns`). Every problem is a
positioned `diagnostics.Diagnostic`.
"""
