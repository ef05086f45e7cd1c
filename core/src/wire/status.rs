//! audit_status (to be written).
