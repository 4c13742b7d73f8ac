//! Routing engine of ccemu: synchronous, deterministic automatic contact distribution.
