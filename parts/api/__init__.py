"""REST API of spare parts and stock (CONTRACT.md §4 "Service operations")."""
