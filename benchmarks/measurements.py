"""Every measurement `make bench` runs, in order (`--only` picks by name)."""

from benchmarks import analysis, audit, exports, imports, load, writes

MEASUREMENTS = {
    "batch_write": writes.batch_write,
    "events_per_save": audit.events_per_save,
    "audit_size": audit.sizes,
    "history": audit.history,
    "exports": exports.exports,
    "memory": exports.memory,
    "imports": imports.imports,
    "load": load.load,
    "analysis": analysis.analysis,
    "dashboard": analysis.dashboard,
}
