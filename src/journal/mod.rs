//! INCIDENTS.md: the incident journal (writer, parser, export).
