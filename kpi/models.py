"""Models of the kpi app (filled by its own issue; the app exists so migrations and roles are stable)."""
