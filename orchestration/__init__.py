"""The Dagster code location of parity (workspace.yaml loads orchestration.definitions)."""
