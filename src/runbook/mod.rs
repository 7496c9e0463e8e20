//! Markdown runbooks read as checklists, and matching alerts to their sections.
