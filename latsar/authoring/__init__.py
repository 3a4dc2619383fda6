"""Authoring: the item bank (single source of every key), the instructor notebooks rendered from it
(``latsar sync``), and their release through stock ``nbgrader generate_assignment``."""
