"""AI crews (issue 16): schema analysis, data quality and field-mapping agents on CrewAI.

An addition on top of the deterministic engine, never a dependency of it: nothing here is imported
at start-up, `crewai` (the optional `[ai]` extra) is imported only inside a crew run
(`core.agents.runtime`), with telemetry, tracing and version checks switched off first, no crew
memory, no knowledge sources, no embedder. The only host contacted is the configured
OpenAI-compatible endpoint (`core.agents.settings`).

- `settings`: the endpoint (base URL, model, key; `MD_LLM_*` for scripts), "is it usable and why
  not", listing the endpoint's models.
- `budget`: what a prompt may carry (bounded samples, clipped tool results, a byte ceiling per
  request) and PII masking.
- `outputs`: the Pydantic models every task's answer must validate against.
- `tools`: the agents' tools, backed by core (the column profiler, samples, the target schema,
  `core.values.rules` on samples).
- `crews`: the three agents, their tasks and the crews that chain them; `runtime` runs one with
  cancellation, token accounting and the failure classification.
The use case is `core.actions.agents.run_crew`.
"""
